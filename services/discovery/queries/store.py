"""The discovery service's reads; it writes nothing (its database may be a replica)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.discovery.queries.search import (
    FROM,
    PUBLIC_JSON,
    ROW_COLUMNS,
    Position,
    SearchQuery,
    search_sql,
)
from shared.domain.channels import LINKABLE


@dataclass(frozen=True)
class EventPage:
    rows: list[dict[str, Any]]
    next_position: Position | None


_EVENT = f"""
SELECT {ROW_COLUMNS}, {PUBLIC_JSON} AS public {FROM}
WHERE d.event_id = $2 AND d.status <> 'draft' AND c.visibility = ANY($3::text[])
"""

# A recurring event by its own id: its next occurrence that has not ended (started in the
# last day), else its last one.
NEXT_OCCURRENCE_SQL = f"""
SELECT {ROW_COLUMNS}, {PUBLIC_JSON} AS public {FROM}
WHERE d.series_id = $2 AND d.recurrence_id IS NOT NULL AND d.status <> 'draft'
  AND c.visibility = ANY($3::text[])
ORDER BY d.start_at < now() - interval '1 day', abs(extract(epoch FROM d.start_at - now()))
LIMIT 1
"""  # noqa: S608  (constant fragments)

# Occurrences of one series from $3 on, soonest first ($1 base URL for PUBLIC_JSON).
OCCURRENCES_SQL = f"""
SELECT d.event_id, d.start_at, d.status, {PUBLIC_JSON} AS public {FROM}
WHERE d.series_id = $2 AND d.start_at >= $3 AND d.status <> 'draft'
ORDER BY d.start_at, d.event_id LIMIT $4
"""

_SERIES = (
    "SELECT event_id, version, event, changed_at FROM discovery_series WHERE event_id = ANY($1)"
)

# By its slug or one of its former ones (migration 0026): a slug is current or former for
# one channel at most, so this is one row at most.
_CHANNEL = """
SELECT id, name, slug, visibility, created_at FROM channels
WHERE visibility = ANY($2::text[])
  AND (slug = $1 OR id = (SELECT channel_id FROM channel_former_slugs WHERE slug = $1))
"""

# Keyset on (lower(name), id); `q` matches any part of the name (trigram index).
_PUBLIC_CHANNELS = """
SELECT id, name, slug, visibility, created_at FROM channels
WHERE visibility = 'public'
  AND ($1::text IS NULL OR lower(name) LIKE '%' || lower($1) || '%')
  AND ($2::text IS NULL OR (lower(name), id) > ($2, $3::bigint))
ORDER BY lower(name), id LIMIT $4
"""

_SCOPES = "SELECT scope, version FROM discovery_scopes WHERE scope = ANY($1::text[])"


class DiscoveryStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def search(
        self, query: SearchQuery, public_base: str | None = None, *, documents: bool = False
    ) -> EventPage:
        """A page of events; with `public_base`, each row also has `public` (JSON text), and
        with `documents` only that and the sort key (the JSON API's answer)."""
        sql, args = search_sql(query, public_base, documents=documents)
        rows = [dict(row) for row in await self._pool.fetch(sql, *args)]
        if len(rows) <= query.limit:
            return EventPage(rows, None)
        rows = rows[: query.limit]
        last = rows[-1]
        return EventPage(rows, Position(last["start_at"], last["event_id"]))

    async def event(self, event_id: uuid.UUID, public_base: str) -> dict[str, Any] | None:
        """A published or cancelled event (or occurrence, by its key) of a public or unlisted
        channel, else None; a recurring event's own id finds its next occurrence."""
        visible = list(LINKABLE)
        row = await self._pool.fetchrow(_EVENT, public_base, event_id, visible)
        if row is None:
            row = await self._pool.fetchrow(NEXT_OCCURRENCE_SQL, public_base, event_id, visible)
        return dict(row) if row is not None else None

    async def occurrences(
        self, series_id: uuid.UUID, since: datetime, limit: int, public_base: str
    ) -> list[dict[str, Any]]:
        """A series' occurrences starting at or after `since`, soonest first."""
        rows = await self._pool.fetch(OCCURRENCES_SQL, public_base, series_id, since, limit)
        return [dict(row) for row in rows]

    async def series(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        """The whole state of these recurring events (rule, EXDATEs, overrides), by id."""
        rows = await self._pool.fetch(_SERIES, list(event_ids))
        return {row["event_id"]: dict(row) for row in rows if row["event"] is not None}

    async def channel(self, slug: str) -> dict[str, Any] | None:
        """A public or unlisted channel by its slug, or by a slug it had before: the row's
        `slug` is then another than the one asked for."""
        row = await self._pool.fetchrow(_CHANNEL, slug, list(LINKABLE))
        return dict(row) if row is not None else None

    async def public_channels(
        self, text: str | None, after: tuple[str, int] | None, limit: int
    ) -> list[dict[str, Any]]:
        name, channel_id = after if after is not None else (None, None)
        rows = await self._pool.fetch(_PUBLIC_CHANNELS, text, name, channel_id, limit)
        return [dict(row) for row in rows]

    async def scope_versions(self, scopes: Sequence[str]) -> dict[str, int]:
        rows = await self._pool.fetch(_SCOPES, list(scopes))
        return {row["scope"]: row["version"] for row in rows}
