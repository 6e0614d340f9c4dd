"""The projector's writes to the read model: one upsert and one scope bump per batch."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import fields

import asyncpg

from services.discovery.projector.rows import ReadRow, scopes_of

_COLUMNS = [f.name for f in fields(ReadRow)]
_TYPES = (
    "uuid[]", "int[]", "bigint[]", "text[]", "text[]", "timestamptz[]", "timestamptz[]",
    "text[]", "date[]", "text[]", "float8[]", "float8[]", "text[]", "text[]", "text[]",
    "text[]", "text[]", "timestamptz[]",
)  # fmt: skip

# classifications travel as JSON text: unnest cannot take an array of arrays of varying length.
# A row changes only for a newer version: records may arrive twice or late.
_UPSERT = f"""
INSERT INTO discovery_events (event_id, version, channel_id, status, title, start_at, end_at,
    timezone, local_date, place_id, latitude, longitude, classifications, search, event,
    changed_at)
SELECT u.event_id, u.version, u.channel_id, u.status, u.title, u.start_at, u.end_at,
    u.timezone, u.local_date, u.place_id, u.latitude, u.longitude,
    ARRAY(SELECT jsonb_array_elements_text(u.classifications::jsonb)),
    setweight(to_tsvector('pinned_search', u.search_title), 'A')
        || setweight(to_tsvector('pinned_search', u.search_place), 'B')
        || setweight(to_tsvector('pinned_search', u.search_text), 'C'),
    u.event::jsonb, u.changed_at
FROM unnest({", ".join(f"${i + 1}::{t}" for i, t in enumerate(_TYPES))})
    AS u({", ".join(_COLUMNS)})
ON CONFLICT (event_id) DO UPDATE SET
    version = EXCLUDED.version, channel_id = EXCLUDED.channel_id, status = EXCLUDED.status,
    title = EXCLUDED.title, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at,
    timezone = EXCLUDED.timezone, local_date = EXCLUDED.local_date,
    place_id = EXCLUDED.place_id, latitude = EXCLUDED.latitude,
    longitude = EXCLUDED.longitude, classifications = EXCLUDED.classifications,
    search = EXCLUDED.search, event = EXCLUDED.event, changed_at = EXCLUDED.changed_at,
    projected_at = now()
WHERE discovery_events.version < EXCLUDED.version
RETURNING event_id
"""  # noqa: S608  (the f-string splices only the constant column and type lists)

_HELD = """
SELECT event_id, channel_id, place_id, classifications FROM discovery_events
WHERE event_id = ANY($1::uuid[])
"""

# Sorted, so two consumers bumping overlapping scopes lock them in one order (no deadlock).
_BUMP = """
INSERT INTO discovery_scopes (scope) SELECT s FROM unnest($1::text[]) AS s ORDER BY s
ON CONFLICT (scope) DO UPDATE SET version = discovery_scopes.version + 1, changed_at = now()
"""


async def project(conn: asyncpg.Connection, rows: Sequence[ReadRow]) -> set[uuid.UUID]:
    """Upsert `rows` (one per event) inside the caller's transaction; bump the scopes of what
    they were and what they are now. Returns the events that changed."""
    held = await conn.fetch(_HELD, [row.event_id for row in rows])
    columns = [list(column) for column in zip(*(_values(row) for row in rows), strict=True)]
    changed = {r["event_id"] for r in await conn.fetch(_UPSERT, *columns)}
    scopes: set[str] = set()
    for row in rows:
        if row.event_id in changed:
            scopes |= row.scopes()
    for before in held:
        if before["event_id"] in changed:
            scopes |= scopes_of(before["channel_id"], before["place_id"], before["classifications"])
    if changed:
        await conn.execute(_BUMP, sorted(scopes))
    return changed


_AS_JSON = frozenset({"classifications", "event"})


def _values(row: ReadRow) -> tuple[object, ...]:
    return tuple(
        json.dumps(getattr(row, name)) if name in _AS_JSON else getattr(row, name)
        for name in _COLUMNS
    )
