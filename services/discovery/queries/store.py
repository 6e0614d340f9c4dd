"""The discovery service's reads; it writes nothing (its database may be a replica)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
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

_CHANNEL = """
SELECT id, name, slug, visibility, created_at FROM channels
WHERE slug = $1 AND visibility = ANY($2::text[])
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

    async def search(self, query: SearchQuery, public_base: str | None = None) -> EventPage:
        """A page of events; with `public_base`, each row also has `public` (JSON text)."""
        sql, args = search_sql(query, public_base)
        rows = [dict(row) for row in await self._pool.fetch(sql, *args)]
        if len(rows) <= query.limit:
            return EventPage(rows, None)
        rows = rows[: query.limit]
        last = rows[-1]
        return EventPage(rows, Position(last["start_at"], last["event_id"]))

    async def event(self, event_id: uuid.UUID, public_base: str) -> dict[str, Any] | None:
        """A published or cancelled event of a public or unlisted channel, else None."""
        row = await self._pool.fetchrow(_EVENT, public_base, event_id, list(LINKABLE))
        return dict(row) if row is not None else None

    async def channel(self, slug: str) -> dict[str, Any] | None:
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
