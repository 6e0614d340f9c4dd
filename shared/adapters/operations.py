"""What the store knows of an accepted command: the key operation ids are sealed with, and the
publisher's recorded outcome (`command_outcomes`, written in the transaction that applied it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

_KEY = "SELECT secret FROM service_secrets WHERE name = 'operation-ids'"

# $3: when the gateway accepted the command, or earlier; command_outcomes is partitioned by
# that time (migration 0022), so only the partitions from then on are read.
_FATE = """
SELECT message_id, event_id, status, reason_code, reason, fields, decided_at
FROM command_outcomes WHERE message_id = $1 AND owner_account_id = $2 AND received_at >= $3
"""


async def operation_key(pool: asyncpg.Pool | asyncpg.Connection) -> bytes:
    """The deployment's key for operation ids (migration 0017 generates it)."""
    key: bytes | None = await pool.fetchval(_KEY)
    if key is None:
        raise LookupError("service_secrets has no 'operation-ids' key: run the migrations")
    return key


async def recorded_fate(
    conn: asyncpg.Pool | asyncpg.Connection,
    owner_id: int,
    message_id: uuid.UUID,
    accepted_at: datetime | None = None,
) -> dict[str, Any] | None:
    """The publisher's outcome of the owner's command: `status` (created, updated,
    duplicate, stale, rejected), `event_id`, `reason_code`, `reason`, `fields` ([{path,
    code, message}] or None) and `decided_at`; None while it has not been applied (or once
    its record is past the outcomes' retention). `accepted_at` (an operation id's, to the
    second) narrows the search to the partitions from then on."""
    since = accepted_at or datetime.min.replace(tzinfo=UTC)
    row = await conn.fetchrow(_FATE, message_id, owner_id, since)
    return dict(row) if row is not None else None
