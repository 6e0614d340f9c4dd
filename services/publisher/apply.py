"""Applies ingest commands to PostgreSQL: one transaction per batch, one savepoint each.

Dedup rests on the NOT NULL primary key (owner, idempotency key) of `idempotency_keys`,
claimed in the same transaction that writes the event, so a redelivered or retried
command finds its claim and becomes a `duplicate` outcome instead of a second row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from shared.event_view import event_view
from shared.messages import CreateEvent, IngestEnvelope, Outcome, OutcomeStatus

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
INSERT INTO events
    (id, owner_account_id, channel_id, status, title, start_at, end_at, timezone, source_id, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""


async def apply_batch(conn: asyncpg.Connection, batch: Sequence[IngestEnvelope]) -> list[Outcome]:
    """Apply every command in Kafka order inside the caller's transaction."""
    return [await _apply(conn, envelope) for envelope in batch]


async def _apply(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Outcome:
    try:
        async with conn.transaction():  # a savepoint: a rejected command undoes only itself
            return await _create_event(conn, envelope, envelope.command)
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        return _outcome(envelope, "rejected", reason_code="constraint_violated", reason=str(exc))


async def _create_event(
    conn: asyncpg.Connection, envelope: IngestEnvelope, command: CreateEvent
) -> Outcome:
    claimed = await conn.fetchval(
        _CLAIM_KEY,
        envelope.owner_id,
        envelope.idempotency_key,
        envelope.request_hash,
        command.event_id,
        envelope.message_id,
    )
    if claimed is None:
        return await _already_claimed(conn, envelope)
    event = command.event
    row = await conn.fetchrow(
        _INSERT_EVENT,
        command.event_id,
        envelope.owner_id,
        event.channelId,
        event.status,
        event.title,
        event.startAt,
        event.endAt,
        event.timezone,
        event.sourceId,
        event.model_dump(mode="json"),
    )
    if row is None:
        return await _existing_event(conn, envelope, command.event_id)
    return _outcome(envelope, "created", event=event_view(row))


async def _already_claimed(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Outcome:
    prior = await conn.fetchrow(_PRIOR_CLAIM, envelope.owner_id, envelope.idempotency_key)
    if prior["request_hash"] != envelope.request_hash:
        return _outcome(
            envelope,
            "rejected",
            event_id=prior["event_id"],
            reason_code="idempotency_key_reused",
            reason="the Idempotency-Key was first used with a different request body",
        )
    return await _existing_event(conn, envelope, prior["event_id"])


async def _existing_event(
    conn: asyncpg.Connection, envelope: IngestEnvelope, event_id: uuid.UUID
) -> Outcome:
    row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", event_id)
    view = event_view(row) if row is not None else None
    return _outcome(envelope, "duplicate", event_id=event_id, event=view)


def _outcome(
    envelope: IngestEnvelope,
    status: OutcomeStatus,
    *,
    event_id: uuid.UUID | None = None,
    event: dict[str, object] | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
) -> Outcome:
    return Outcome(
        message_id=envelope.message_id,
        request_id=envelope.request_id,
        owner_id=envelope.owner_id,
        event_id=event_id or envelope.command.event_id,
        status=status,
        reason_code=reason_code,
        reason=reason,
        event=event,
        decided_at=datetime.now(UTC),
    )
