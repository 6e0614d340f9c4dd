"""A person's inbox: notices newest first, read and unread, never anyone else's."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.discovery.planning.cursors import Position
from shared.adapters.plans import held_of, public_event_id

# With the planning row a notice is about: an occurrence's notice names it by its public id.
_PLANNED = """LEFT JOIN plan_events p ON p.event_id = n.event_id"""
_NOTICE = "n.id, n.kind, n.event_id, n.title, n.body, n.data, n.created_at, n.read_at"
_HELD = "p.series_id, p.start_at, p.end_at, p.timezone, p.recurrence_id"
_PAGE = f"""
SELECT {_NOTICE}, {_HELD} FROM notifications n {_PLANNED}
WHERE n.person_id = $1 AND ($2::bool IS NOT TRUE OR n.read_at IS NULL)
  AND ($3::timestamptz IS NULL OR (n.created_at, n.id) < ($3, $4::uuid))
ORDER BY n.created_at DESC, n.id DESC LIMIT $5
"""  # noqa: S608  (constant fragments)
_UNREAD = "SELECT count(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL"
_MARK = f"""
WITH n AS (
    UPDATE notifications SET read_at = CASE WHEN $3 THEN coalesce(read_at, now()) END
    WHERE person_id = $1 AND id = $2
    RETURNING id, kind, event_id, title, body, data, created_at, read_at
)
SELECT {_NOTICE}, {_HELD} FROM n {_PLANNED}
"""  # noqa: S608  (constant fragments)
_MARK_ALL = """
UPDATE notifications SET read_at = now() WHERE person_id = $1 AND read_at IS NULL RETURNING id
"""


def notice_view(row: asyncpg.Record) -> dict[str, Any]:
    """`eventId`, and `data.eventId` where the notice has one, are the id people use: an
    occurrence's `<series id>_<date>` (notices about occurrences stored its derived key)."""
    event_id, data = None, row["data"]
    if row["event_id"] is not None:
        event_id = str(row["event_id"])
        if row["timezone"] is not None:  # its planning row (gone if its plans moved since)
            event_id = public_event_id(row["event_id"], row["series_id"], held_of(row))
        if isinstance(data, dict) and "eventId" in data:
            data = {**data, "eventId": event_id}
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "eventId": event_id,
        "title": row["title"],
        "body": row["body"],
        "data": data,
        "createdAt": row["created_at"].isoformat(),
        "read": row["read_at"] is not None,
        "readAt": row["read_at"].isoformat() if row["read_at"] else None,
    }


async def page(
    pool: asyncpg.Pool, person_id: int, unread_only: bool, after: Position | None, limit: int
) -> list[asyncpg.Record]:
    start, key = after if after is not None else (None, None)
    rows: list[asyncpg.Record] = await pool.fetch(
        _PAGE, person_id, unread_only, start, key, limit + 1
    )
    return rows


async def unread_count(pool: asyncpg.Pool, person_id: int) -> int:
    return int(await pool.fetchval(_UNREAD, person_id))


async def mark(
    pool: asyncpg.Pool, person_id: int, notice_id: uuid.UUID, read: bool
) -> asyncpg.Record | None:
    """Mark one of the person's notices read or unread; None when it is not theirs."""
    row: asyncpg.Record | None = await pool.fetchrow(_MARK, person_id, notice_id, read)
    return row


async def mark_all(pool: asyncpg.Pool, person_id: int) -> int:
    return len(await pool.fetch(_MARK_ALL, person_id))
