"""Applies ingest commands to PostgreSQL: one transaction per batch, one savepoint each.

Dedup rests on the NOT NULL primary key (owner, idempotency key) of `idempotency_keys`,
claimed in the same transaction that writes the event, so a redelivered or retried
command finds its claim and becomes a `duplicate` outcome instead of a second change.
A change whose `sourceUpdatedAt` is older than the stored one is `stale` and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import asyncpg

from services.publisher.bulk import create_all, plain_creates
from services.publisher.rows import Applied, event_columns, make_outcome
from shared.contracts.messages import (
    STATUS_AFTER,
    ChangeStatus,
    CreateEvent,
    IngestEnvelope,
    OutcomeStatus,
    UpdateEvent,
)
from shared.domain.events import EventInput, InvalidEvent, apply_patch

_CLAIM_KEY = """
INSERT INTO idempotency_keys
    (owner_account_id, idempotency_key, request_hash, event_id, message_id)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING
RETURNING event_id
"""

_PRIOR_CLAIM = """
SELECT request_hash, event_id FROM idempotency_keys
WHERE owner_account_id = $1 AND idempotency_key = $2
"""

_INSERT_EVENT = """
INSERT INTO events (id, owner_account_id, channel_id, status, title, start_at, end_at,
    timezone, source_id, source_updated_at, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""

# $8 NULL means the sender keeps no modification time: last write wins.
_REPLACE_EVENT = """
UPDATE events SET status = COALESCE($2, status), title = $3, start_at = $4, end_at = $5,
    timezone = $6, source_id = $7, source_updated_at = COALESCE($8, source_updated_at),
    body = $9, version = version + 1, updated_at = now()
WHERE id = $1 AND ($8::timestamptz IS NULL OR source_updated_at IS NULL
                   OR source_updated_at <= $8)
RETURNING *
"""

_CHANGE_STATUS = """
UPDATE events SET status = $2, version = version + 1, updated_at = now()
WHERE id = $1 RETURNING *
"""


async def apply_batch(conn: asyncpg.Connection, batch: Sequence[IngestEnvelope]) -> list[Applied]:
    """Apply every command inside the caller's transaction, in Kafka order per event.

    Plain creates of events no other command in the batch touches take a set-based path
    (two statements for all of them); everything else, and the whole fast group whenever
    any of it was seen before, goes one by one, each in a savepoint of its own.
    """
    fast = plain_creates(batch)
    outcomes = await create_all(conn, [(i, batch[i]) for i in fast]) if len(fast) > 1 else {}
    for index, envelope in enumerate(batch):
        if index in outcomes:
            continue
        try:
            async with conn.transaction():  # a savepoint: a rejected command undoes only itself
                prior = await _claim(conn, envelope)
                outcomes[index] = prior or await _APPLY[envelope.command.type](conn, envelope)
        except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
            outcomes[index] = make_outcome(
                envelope, "rejected", reason_code="constraint_violated", reason=str(exc)
            )
    return [outcomes[index] for index in range(len(batch))]


async def _claim(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied | None:
    """None when this command is new; else the outcome of the command that claimed its key."""
    claimed = await conn.fetchval(
        _CLAIM_KEY,
        envelope.owner_id,
        envelope.idempotency_key,
        envelope.request_hash,
        envelope.command.event_id,
        envelope.message_id,
    )
    if claimed is not None:
        return None
    prior = await conn.fetchrow(_PRIOR_CLAIM, envelope.owner_id, envelope.idempotency_key)
    if prior["request_hash"] != envelope.request_hash:
        return make_outcome(
            envelope,
            "rejected",
            event_id=prior["event_id"],
            reason_code="idempotency_key_reused",
            reason="the Idempotency-Key was first used with a different request body",
        )
    return await _with_current(conn, envelope, "duplicate", prior["event_id"])


async def _create(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    assert isinstance(command, CreateEvent)
    event = command.event
    row = await conn.fetchrow(
        _INSERT_EVENT,
        command.event_id,
        envelope.owner_id,
        event.channelId,
        event.status,
        *event_columns(event),
    )
    if row is not None:
        return make_outcome(envelope, "created", row=row)
    if event.sourceId is None:
        return await _with_current(conn, envelope, "duplicate", command.event_id)
    # Same source record in the same channel: the sync job's resend is an upsert.
    return await _replace(conn, envelope, command.event_id, event, event.status)


async def _update(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    assert isinstance(command, UpdateEvent)
    row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", command.event_id)
    if row is None:
        return _no_such_event(envelope)
    try:
        event = apply_patch(row["body"], command.changes, row["channel_id"])
    except InvalidEvent as exc:
        return make_outcome(envelope, "rejected", reason_code="validation_failed", reason=str(exc))
    return await _replace(conn, envelope, command.event_id, event, None)


async def _replace(
    conn: asyncpg.Connection,
    envelope: IngestEnvelope,
    event_id: uuid.UUID,
    event: EventInput,
    status: str | None,
) -> Applied:
    row = await conn.fetchrow(_REPLACE_EVENT, event_id, status, *event_columns(event))
    if row is None:
        return await _with_current(conn, envelope, "stale", event_id)
    return make_outcome(envelope, "updated", row=row)


async def _change_status(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    assert isinstance(command, ChangeStatus)
    current = await conn.fetchval("SELECT status FROM events WHERE id = $1", command.event_id)
    if current is None:
        return _no_such_event(envelope)
    if current == "cancelled" and command.action != "cancel":
        return make_outcome(
            envelope,
            "rejected",
            reason_code="event_cancelled",
            reason="a cancelled event cannot be published or unpublished",
        )
    row = await conn.fetchrow(_CHANGE_STATUS, command.event_id, STATUS_AFTER[command.action])
    return make_outcome(envelope, "updated", row=row)


_APPLY: dict[str, Callable[[asyncpg.Connection, IngestEnvelope], Awaitable[Applied]]] = {
    "create_event": _create,
    "update_event": _update,
    "change_status": _change_status,
}


def _no_such_event(envelope: IngestEnvelope) -> Applied:
    return make_outcome(envelope, "rejected", reason_code="not_found", reason="no such event")


async def _with_current(
    conn: asyncpg.Connection, envelope: IngestEnvelope, status: OutcomeStatus, event_id: uuid.UUID
) -> Applied:
    row = None
    if envelope.awaited(datetime.now(UTC)):
        row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", event_id)
    return make_outcome(envelope, status, event_id=event_id, row=row)
