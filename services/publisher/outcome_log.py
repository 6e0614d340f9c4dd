"""The record of what the publisher did with each command (`command_outcomes`), written in
the batch's own transaction: it exists exactly when the change it describes does, and
a redelivered batch finds it already there."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from services.publisher.rows import Applied
from shared.domain.events import FieldError

_INSERT_OUTCOMES = """
INSERT INTO command_outcomes (message_id, request_id, owner_account_id, event_id, status,
    reason_code, reason, decided_at, fields)
SELECT u.message_id, u.request_id, u.owner, u.event_id, u.status, u.reason_code, u.reason,
    u.decided_at, u.fields::jsonb
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::text[],
    $7::text[], $8::timestamptz[], $9::text[]) AS u(message_id, request_id, owner, event_id,
    status, reason_code, reason, decided_at, fields)
ON CONFLICT (message_id) DO NOTHING
"""


async def record_outcomes(conn: asyncpg.Connection, outcomes: Sequence[Applied]) -> None:
    await conn.execute(
        _INSERT_OUTCOMES,
        [o.message_id for o in outcomes],
        [o.request_id for o in outcomes],
        [o.owner_id for o in outcomes],
        [o.event_id for o in outcomes],
        [o.status for o in outcomes],
        [o.reason_code for o in outcomes],
        [o.reason for o in outcomes],
        [o.decided_at for o in outcomes],
        [_fields_json(o.fields) for o in outcomes],
    )


def _fields_json(fields: Sequence[FieldError]) -> str | None:
    if not fields:
        return None
    return json.dumps([{"path": f.path, "code": f.code, "message": f.message} for f in fields])
