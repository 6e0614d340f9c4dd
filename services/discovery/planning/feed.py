"""Follows and the personal feed: upcoming published events of what a person follows.

The follows come from the primary (a person sees their own change at once); the events from
the read model, which may be a replica. Each followed channel, city or classification is
read in its own index order and only as far as one page (a LATERAL per follow), then merged:
following a big city costs a page of it, not all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.discovery.planning.cursors import Position
from services.discovery.queries.search import FROM, PUBLIC_JSON, ROW_COLUMNS
from services.discovery.web.errors import Conflict, NotFound
from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.places import find as find_place

MOST_FOLLOWS = 500
_ORIGIN = UUID(int=0)

# $1 base URL, $2 channel ids, $3 place ids, $4 classification slugs, $5/$6 after
# (start_at, event_id), $7 page size + 1.
_LIVE = "d.status <> 'draft' AND d.status = 'published' AND (d.start_at, d.event_id) > ($5, $6)"
FEED_SQL = f"""
WITH picked AS (
    SELECT x.event_id FROM unnest($2::bigint[]) AS f(channel_id) CROSS JOIN LATERAL (
        SELECT d.event_id FROM discovery_events d JOIN channels c ON c.id = d.channel_id
        WHERE d.channel_id = f.channel_id AND {_LIVE}
          AND c.visibility IN ('public', 'unlisted')
        ORDER BY d.start_at, d.event_id LIMIT $7) x
    UNION
    SELECT x.event_id FROM unnest($3::text[]) AS f(place_id) CROSS JOIN LATERAL (
        SELECT d.event_id FROM discovery_events d JOIN channels c ON c.id = d.channel_id
        WHERE d.place_id = f.place_id AND {_LIVE} AND c.visibility = 'public'
        ORDER BY d.start_at, d.event_id LIMIT $7) x
    UNION
    SELECT x.event_id FROM unnest($4::text[]) AS f(slug) CROSS JOIN LATERAL (
        SELECT d.event_id FROM discovery_events d JOIN channels c ON c.id = d.channel_id
        WHERE d.classifications @> ARRAY[f.slug] AND {_LIVE} AND c.visibility = 'public'
        ORDER BY d.start_at, d.event_id LIMIT $7) x
)
SELECT {ROW_COLUMNS}, {PUBLIC_JSON} AS public {FROM}
WHERE d.event_id IN (SELECT event_id FROM picked)
ORDER BY d.start_at, d.event_id LIMIT $7
"""  # noqa: S608  (constant fragments; every value is bound)

_FOLLOWS = "SELECT kind, target, created_at FROM follows WHERE person_id = $1 ORDER BY created_at"
_FOLLOW = """
INSERT INTO follows (person_id, kind, target)
SELECT $1, $2, $3 WHERE (SELECT count(*) FROM follows WHERE person_id = $1) < $4
ON CONFLICT DO NOTHING RETURNING true
"""
# A channel is followed by its link (public or unlisted); one that turned private since can
# still be unfollowed.
# By its slug, or by a slug it had (as its pages and feeds answer 301): the current holder first.
_CHANNEL = """
SELECT id FROM channels
WHERE (slug = $1 OR id = (SELECT channel_id FROM channel_former_slugs WHERE slug = $1))
  AND (visibility <> 'private' OR $2)
ORDER BY slug = $1 DESC LIMIT 1
"""


@dataclass(frozen=True)
class Follows:
    channels: list[int]
    places: list[str]
    classifications: list[str]

    @property
    def empty(self) -> bool:
        return not (self.channels or self.places or self.classifications)


async def follows(pool: asyncpg.Pool, person_id: int) -> list[dict[str, Any]]:
    """What the person follows, newest first: `kind`, `target` (a channel's slug, a place id,
    a classification slug), its `name` as pages show it, and `since`."""
    rows = await pool.fetch(_FOLLOWS, person_id)
    channel_ids = [int(r["target"]) for r in rows if r["kind"] == "channel"]
    channels = {
        row["id"]: row
        for row in await pool.fetch(
            "SELECT id, slug, name FROM channels WHERE id = ANY($1::bigint[])", channel_ids
        )
    }
    found = []
    for r in rows:
        target, name = r["target"], r["target"]
        if r["kind"] == "channel":
            channel = channels.get(int(r["target"]))
            target, name = (channel["slug"], channel["name"]) if channel else (None, None)
        elif r["kind"] == "city":
            place = find_place(target)
            name = place.name if place is not None else target
        else:
            name = CLASSIFICATIONS.get(target, target)
        found.append({"kind": r["kind"], "target": target, "name": name,
                      "since": r["created_at"].isoformat()})  # fmt: skip
    return found


async def follow(pool: asyncpg.Pool, person_id: int, kind: str, target: str) -> str:
    """Follow a channel (by slug), a city (place id) or a classification (slug); returns the
    stored target. Following again is a no-op."""
    stored = await _stored_target(pool, kind, target)
    added = await pool.fetchval(_FOLLOW, person_id, kind, stored, MOST_FOLLOWS)
    if added is None:
        already = await pool.fetchval(
            "SELECT true FROM follows WHERE person_id = $1 AND kind = $2 AND target = $3",
            person_id,
            kind,
            stored,
        )
        if not already:
            raise Conflict("too_many_follows", f"You follow {MOST_FOLLOWS} things already.")
    return stored


async def unfollow(pool: asyncpg.Pool, person_id: int, kind: str, target: str) -> bool:
    stored = await _stored_target(pool, kind, target, leaving=True)
    return bool(
        await pool.fetchval(
            "DELETE FROM follows WHERE person_id = $1 AND kind = $2 AND target = $3 RETURNING true",
            person_id,
            kind,
            stored,
        )
    )


async def followed(pool: asyncpg.Pool, person_id: int) -> Follows:
    rows = await pool.fetch(_FOLLOWS, person_id)
    by_kind: dict[str, list[str]] = {"channel": [], "city": [], "classification": []}
    for row in rows:
        by_kind[row["kind"]].append(row["target"])
    return Follows([int(t) for t in by_kind["channel"]], by_kind["city"], by_kind["classification"])


async def feed_page(
    read_pool: asyncpg.Pool, what: Follows, after: Position | None, limit: int, base: str
) -> list[dict[str, Any]]:
    """Up to `limit + 1` rows (one more tells whether a next page exists), soonest first."""
    if what.empty:
        return []
    start, event_id = after if after is not None else (datetime.now(UTC), _ORIGIN)
    rows = await read_pool.fetch(
        FEED_SQL, base, what.channels, what.places, what.classifications, start, event_id, limit + 1
    )
    return [dict(row) for row in rows]


async def _stored_target(pool: asyncpg.Pool, kind: str, target: str, leaving: bool = False) -> str:
    if kind == "channel":
        channel_id = await pool.fetchval(_CHANNEL, target, leaving)
        if channel_id is None:
            raise NotFound("No public or unlisted channel has that slug.")
        return str(channel_id)
    if kind == "city":
        if find_place(target) is None:
            raise NotFound("No such city: place ids look like place-new-york.")
        return target
    if target not in CLASSIFICATIONS:
        raise NotFound(f"No classification '{target}'.")
    return target
