"""A person's saved events and RSVPs, soonest first, read from the primary (their own
change shows at once). Events that went back to draft, or whose channel turned private, are
left out until they are published and public or unlisted again (the plans are kept); an
occurrence taken out of its series stays, cancelled (`planned`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.discovery.planning.cursors import Position
from services.discovery.planning.planned import planned_row
from services.discovery.queries.search import EVENT_JSON

_EARLIEST = (datetime.fromisoformat("1900-01-01T00:00:00+00:00"), UUID(int=0))

# $1 base URL, $2 person, $3/$4 after (start_at, event_id), $5 page size + 1.
SAVES_SQL = f"""
SELECT d.event_id, d.start_at, {EVENT_JSON} AS public, NULL::text AS rsvp
FROM saves s
{planned_row("s.event_id")}
JOIN channels c ON c.id = d.channel_id
WHERE s.person_id = $2 AND d.status <> 'draft' AND c.visibility <> 'private'
  AND (d.start_at, d.event_id) > ($3, $4)
ORDER BY d.start_at, d.event_id LIMIT $5
"""  # noqa: S608  (a constant fragment)

RSVPS_SQL = f"""
SELECT d.event_id, d.start_at, {EVENT_JSON} AS public, r.status AS rsvp
FROM rsvps r
{planned_row("r.event_id")}
JOIN channels c ON c.id = d.channel_id
WHERE r.person_id = $2 AND d.status <> 'draft' AND c.visibility <> 'private'
  AND (d.start_at, d.event_id) > ($3, $4)
ORDER BY d.start_at, d.event_id LIMIT $5
"""  # noqa: S608  (a constant fragment)


async def saved(
    pool: asyncpg.Pool, person_id: int, after: Position | None, limit: int, base: str
) -> list[dict[str, Any]]:
    return await _page(pool, SAVES_SQL, person_id, after, limit, base)


async def answered(
    pool: asyncpg.Pool, person_id: int, after: Position | None, limit: int, base: str
) -> list[dict[str, Any]]:
    return await _page(pool, RSVPS_SQL, person_id, after, limit, base)


async def _page(
    pool: asyncpg.Pool, sql: str, person_id: int, after: Position | None, limit: int, base: str
) -> list[dict[str, Any]]:
    start, key = after or _EARLIEST
    return [dict(row) for row in await pool.fetch(sql, base, person_id, start, key, limit + 1)]
