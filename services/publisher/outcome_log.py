"""The record of what the publisher did with each command (`command_outcomes`), written in
the batch's own transaction: it exists exactly when the change it describes does, and
a redelivered batch finds it already there."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.publisher.rows import Applied

_INSERT_OUTCOMES = """
INSERT INTO command_outcomes (message_id, request_id, owner_account_id, event_id, status,
    reason_code, reason, decided_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[],
    $6::text[], $7::text[], $8::timestamptz[])
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
    )
