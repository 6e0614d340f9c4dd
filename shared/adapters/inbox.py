"""People's inboxes: notices written once by id (a notice delivered twice is one row), and
only for people who still exist (a notice for a deleted account is dropped)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.domain.reminders import NoticeKind

_INSERT = """
INSERT INTO notifications (id, person_id, kind, event_id, title, body, data)
SELECT n.id, n.person_id, n.kind, n.event_id, n.title, n.body, n.data::jsonb
FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::uuid[], $5::text[], $6::text[],
            $7::text[]) AS n(id, person_id, kind, event_id, title, body, data)
JOIN people p ON p.id = n.person_id
ON CONFLICT (id) DO NOTHING
RETURNING id
"""


@dataclass(frozen=True)
class Notice:
    id: uuid.UUID
    person_id: int
    kind: NoticeKind
    event_id: uuid.UUID | None
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


async def deliver(conn: asyncpg.Connection, notices: Sequence[Notice]) -> int:
    """Write `notices` (inside the caller's transaction); returns how many were new."""
    if not notices:
        return 0
    columns = (
        [n.id for n in notices],
        [n.person_id for n in notices],
        [n.kind for n in notices],
        [n.event_id for n in notices],
        [n.title for n in notices],
        [n.body for n in notices],
        [json.dumps(n.data) for n in notices],
    )
    return len(await conn.fetch(_INSERT, *columns))
