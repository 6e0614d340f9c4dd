"""A person's inbox: notices newest first, read and unread, never anyone else's."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.discovery.planning.cursors import Position

_PAGE = """
SELECT id, kind, event_id, title, body, data, created_at, read_at FROM notifications
WHERE person_id = $1 AND ($2::bool IS NOT TRUE OR read_at IS NULL)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC LIMIT $5
"""
_UNREAD = "SELECT count(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL"
_MARK = """
UPDATE notifications SET read_at = CASE WHEN $3 THEN coalesce(read_at, now()) END
WHERE person_id = $1 AND id = $2
RETURNING id, kind, event_id, title, body, data, created_at, read_at
"""
_MARK_ALL = """
UPDATE notifications SET read_at = now() WHERE person_id = $1 AND read_at IS NULL RETURNING id
"""


def notice_view(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "eventId": str(row["event_id"]) if row["event_id"] else None,
        "title": row["title"],
        "body": row["body"],
        "data": row["data"],
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
