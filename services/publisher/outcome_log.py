"""The record of what the publisher did with each command (`command_outcomes`), written in
the batch's own transaction: it exists exactly when the change it describes does, and
a redelivered batch finds it already there."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.publisher.rows import Applied
from shared.domain.events import FieldError

# Copied into a temporary table first, as the bulk path's creates are (bulk.py): a
# redelivered batch's outcomes are already there, and COPY cannot skip them itself.
_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS staged_outcomes (
    message_id uuid, request_id text, owner_account_id bigint, event_id uuid, status text,
    reason_code text, reason text, decided_at timestamptz, fields text, received_at timestamptz
) ON COMMIT DELETE ROWS;
DELETE FROM staged_outcomes
"""

_INSERT_OUTCOMES = """
INSERT INTO command_outcomes (message_id, request_id, owner_account_id, event_id, status,
    reason_code, reason, decided_at, fields, received_at)
SELECT message_id, request_id, owner_account_id, event_id, status, reason_code, reason,
    decided_at, fields::jsonb, received_at
FROM staged_outcomes
ON CONFLICT (message_id, received_at) DO NOTHING
"""


async def record_outcomes(conn: asyncpg.Connection, outcomes: Sequence[Applied]) -> None:
    """Record the outcomes not recorded yet (the set-based path records its own)."""
    unrecorded = [outcome for outcome in outcomes if not outcome.recorded]
    if not unrecorded:
        return
    await conn.execute(_STAGE)
    await conn.copy_records_to_table("staged_outcomes", records=map(_row, unrecorded))
    await conn.execute(_INSERT_OUTCOMES)


def _row(o: Applied) -> tuple[Any, ...]:
    return (o.message_id, o.request_id, o.owner_id, o.event_id, o.status, o.reason_code,
            o.reason, o.decided_at, _fields_json(o.fields), o.received_at)  # fmt: skip


def _fields_json(fields: Sequence[FieldError]) -> str | None:
    if not fields:
        return None
    return json.dumps([{"path": f.path, "code": f.code, "message": f.message} for f in fields])
