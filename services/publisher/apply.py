"""Applies ingest commands to PostgreSQL: one transaction per batch, one savepoint each.

Dedup rests on the NOT NULL primary key (owner, idempotency key) of `idempotency_keys`,
claimed in the same transaction that writes the event, so a redelivered or retried
command finds its claim and becomes a `duplicate` outcome instead of a second change, or,
when the first was rejected, the same rejection: a key's answer never changes.
A change whose `sourceUpdatedAt` is older than the stored one is `stale` and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import asyncpg
import structlog

from services.publisher.bulk import EARLIER_CLAIM, Group, create_all, set_based_creates
from services.publisher.occurrence import carried, update_occurrence
from services.publisher.refusals import STORE_ERRORS, refused
from services.publisher.rows import (
    Applied,
    event_columns,
    invalid_fields,
    make_outcome,
    no_such_event,
)
from shared.contracts.messages import (
    STATUS_AFTER,
    ChangeStatus,
    CreateEvent,
    IngestEnvelope,
    OutcomeStatus,
    UpdateEvent,
)
from shared.domain.events import EventInput, FieldError, InvalidEvent, apply_patch
from shared.domain.times import json_instant

log = structlog.get_logger("publisher.command")

# This batch's outcomes so far, by message id: a retry later in the same batch finds its
# first command's outcome here, before command_outcomes holds it.
Decided = dict[uuid.UUID, Applied]

# The primary key catches a key claimed the same day (idempotency_keys is partitioned by
# day, migration 0022); EARLIER_CLAIM a key claimed on an earlier day.
_CLAIM_KEY = f"""
INSERT INTO idempotency_keys
    (owner_account_id, idempotency_key, request_hash, event_id, message_id)
SELECT u.* FROM (VALUES ($1::bigint, $2::text, $3::text, $4::uuid, $5::uuid))
    AS u(owner_account_id, idempotency_key, request_hash, event_id, message_id)
    {EARLIER_CLAIM}
WHERE earlier.found IS NULL
ON CONFLICT DO NOTHING
RETURNING event_id
"""  # noqa: S608  (a constant fragment)

_PRIOR_CLAIM = """
SELECT k.request_hash, k.event_id, k.message_id, o.status, o.reason_code, o.reason, o.fields
FROM idempotency_keys k LEFT JOIN command_outcomes o ON o.message_id = k.message_id
WHERE k.owner_account_id = $1 AND k.idempotency_key = $2
ORDER BY k.created_on LIMIT 1
"""

_INSERT_EVENT = """
INSERT INTO events (id, owner_account_id, channel_id, status, title, start_at, end_at,
    timezone, source_id, source_updated_at, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""

# $8 NULL means the sender keeps no modification time: last write wins. A cancellation is
# final: a resend of the source record may still correct its content, never revive it.
# $10: the occurrence overrides carried over to the new series (occurrences.carried_overrides).
# A resend that changes nothing (a feed's unchanged record, PATCH {}) moves neither version
# nor updated_at, so readers see no change and the outbox trigger (0013) announces none.
# bulk.py's `_replaced` does the same for many records sent again: keep the two in step.
_SAME_EVENT = """body = $9::jsonb AND occurrence_overrides = $10::jsonb
    AND (status = 'cancelled' OR status = COALESCE($2, status))"""
_REPLACE_EVENT = f"""
UPDATE events SET status = CASE WHEN status = 'cancelled' THEN status ELSE COALESCE($2, status)
    END, title = $3, start_at = $4, end_at = $5,
    timezone = $6, source_id = $7, source_updated_at = COALESCE($8, source_updated_at),
    body = $9, occurrence_overrides = $10,
    version = CASE WHEN {_SAME_EVENT} THEN version ELSE version + 1 END,
    updated_at = CASE WHEN {_SAME_EVENT} THEN updated_at ELSE now() END
WHERE id = $1 AND ($8::timestamptz IS NULL OR source_updated_at IS NULL
                   OR source_updated_at <= $8)
RETURNING *
"""  # noqa: S608  (a constant fragment)

# The status it has already (an unpublish sent twice): nothing moves, as above.
_CHANGE_STATUS = """
UPDATE events SET status = $2,
    version = CASE WHEN status = $2 THEN version ELSE version + 1 END,
    updated_at = CASE WHEN status = $2 THEN updated_at ELSE now() END
WHERE id = $1 RETURNING *
"""

# A status change that names the sender's version: unless a newer one is stored, applied and
# recorded (column and body alike, as an upsert records it). No row: stale. The same status
# at the same version (a delivery sent again) moves nothing.
_SAME_STATUS_AND_VERSION = "status = $2 AND source_updated_at = $3"
_CHANGE_STATUS_AT_VERSION = f"""
UPDATE events SET status = $2,
    version = CASE WHEN {_SAME_STATUS_AND_VERSION} THEN version ELSE version + 1 END,
    updated_at = CASE WHEN {_SAME_STATUS_AND_VERSION} THEN updated_at ELSE now() END,
    source_updated_at = $3, body = jsonb_set(body, '{{sourceUpdatedAt}}', to_jsonb($4::text))
WHERE id = $1 AND (source_updated_at IS NULL OR source_updated_at <= $3)
RETURNING *
"""  # noqa: S608  (a constant fragment)


async def apply_batch(
    conn: asyncpg.Connection, batch: Sequence[IngestEnvelope], *, set_based: bool = True
) -> list[Applied]:
    """Apply every command inside the caller's transaction, in Kafka order per event.

    Creates of events no other command in the batch touches take a set-based path (one
    statement claims, stores and records all the new ones and replaces the events of records
    sent again, bulk.py); the rest of that group (a stale or recurring record sent again, a
    key seen before) and every other command go one by one, each in a savepoint of its own,
    as does the whole group when the store refused any of it.
    `set_based=False`: all of it one by one (the caller knows the set-based statement fails
    for this batch).
    """
    fast = set_based_creates(batch) if set_based else []
    # A store refusal in the fast group is named, counted and logged when its command goes
    # one by one.
    group = await create_all(conn, [(i, batch[i]) for i in fast]) if fast else Group({})
    outcomes = dict(group.applied)
    decided: Decided = {o.message_id: o for o in outcomes.values()}
    for index, envelope in enumerate(batch):
        if index in outcomes:
            continue
        claimed = index in group.claimed
        try:
            async with conn.transaction():  # a savepoint: a rejected command undoes only itself
                if claimed:
                    outcome = await _onto_stored(conn, envelope)
                else:
                    prior = await _answer_if_claimed(conn, envelope, decided)
                    outcome = prior or await _APPLY[envelope.command.type](conn, envelope)
        except STORE_ERRORS as exc:
            outcome = refused(envelope, exc)
            if not claimed:  # else its claim stands: the group's statement made it
                await _keep_claim(conn, envelope)
        outcomes[index] = decided[envelope.message_id] = outcome
    return [outcomes[index] for index in range(len(batch))]


async def _claim(conn: asyncpg.Connection, envelope: IngestEnvelope) -> bool:
    """Whether this command is the first with its key (else it was answered before)."""
    claimed = await conn.fetchval(
        _CLAIM_KEY,
        envelope.owner_id,
        envelope.idempotency_key,
        envelope.request_hash,
        envelope.command.event_id,
        envelope.message_id,
    )
    return claimed is not None


async def _answer_if_claimed(
    conn: asyncpg.Connection, envelope: IngestEnvelope, decided: Decided
) -> Applied | None:
    """None when this command is the first with its key; else the answer it gets for the
    command that claimed the key first."""
    if await _claim(conn, envelope):
        return None
    return await _answered_before(conn, envelope, decided)


async def _keep_claim(conn: asyncpg.Connection, envelope: IngestEnvelope) -> None:
    """A refused command's savepoint took its key's claim with it: claim the key again, so a
    retry gets this rejection rather than being applied anew."""
    try:
        async with conn.transaction():
            await _claim(conn, envelope)
    except STORE_ERRORS as exc:  # the key itself is what the store refuses
        log.warning("refused command's key not kept", request_id=envelope.request_id,
                    error_type=type(exc).__name__)  # fmt: skip


async def _answered_before(
    conn: asyncpg.Connection, envelope: IngestEnvelope, decided: Decided
) -> Applied:
    """The answer of the command that claimed this one's key first: its rejection, or this
    being a duplicate of it (or a reuse of the key with another body)."""
    prior = await conn.fetchrow(_PRIOR_CLAIM, envelope.owner_id, envelope.idempotency_key)
    if prior["request_hash"] != envelope.request_hash:
        return make_outcome(
            envelope,
            "rejected",
            event_id=prior["event_id"],
            reason_code="idempotency_key_reused",
            reason="the Idempotency-Key was first used with a different request body",
        )
    first = decided.get(prior["message_id"])
    if first is not None and first.status == "rejected":
        return _same_rejection(envelope, first.reason_code, first.reason, first.fields)
    if first is None and prior["status"] == "rejected":
        fields = [FieldError(**f) for f in prior["fields"] or ()]
        return _same_rejection(envelope, prior["reason_code"], prior["reason"], fields)
    return await _with_current(conn, envelope, "duplicate", prior["event_id"])


def _same_rejection(
    envelope: IngestEnvelope, code: str | None, reason: str | None, fields: Sequence[FieldError]
) -> Applied:
    return make_outcome(envelope, "rejected", reason_code=code, reason=reason, fields=fields)


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
    return await _onto_stored(conn, envelope)


async def _onto_stored(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    """A create, its key new, whose event is stored already: the same source record in the
    same channel (a sync job's or a CMS's resend) replaces it; else it is a duplicate."""
    command = envelope.command
    assert isinstance(command, CreateEvent)
    event = command.event
    if event.sourceId is None:
        return await _with_current(conn, envelope, "duplicate", command.event_id)
    return await _replace(conn, envelope, command.event_id, event, event.status)


async def _update(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    assert isinstance(command, UpdateEvent)
    row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", command.event_id)
    if row is None:
        return no_such_event(envelope)
    try:
        event = apply_patch(row["body"], command.changes, row["channel_id"])
    except InvalidEvent as exc:
        return invalid_fields(envelope, exc.errors)
    return await _replace(conn, envelope, command.event_id, event, None, row)


async def _replace(
    conn: asyncpg.Connection,
    envelope: IngestEnvelope,
    event_id: uuid.UUID,
    event: EventInput,
    status: str | None,
    held: asyncpg.Record | None = None,
) -> Applied:
    if held is None and event.recurrence is not None:
        held = await conn.fetchrow(
            "SELECT timezone, occurrence_overrides FROM events WHERE id = $1", event_id
        )
    overrides = carried(held, event)
    row = await conn.fetchrow(_REPLACE_EVENT, event_id, status, *event_columns(event), overrides)
    if row is None:
        return await _with_current(conn, envelope, "stale", event_id)
    return make_outcome(envelope, "updated", row=row)


async def _change_status(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    assert isinstance(command, ChangeStatus)
    current = await conn.fetchval("SELECT status FROM events WHERE id = $1", command.event_id)
    if current is None:
        return no_such_event(envelope)
    if current == "cancelled" and command.action == "cancel":
        # A takedown already in effect changes nothing: CMSs send one delete per stored row
        # (Strapi 5: the draft and the published copy), in any order.
        return await _with_current(conn, envelope, "duplicate", command.event_id)
    if current == "cancelled":
        return make_outcome(
            envelope,
            "rejected",
            reason_code="event_cancelled",
            reason="a cancelled event cannot be published or unpublished",
        )
    status = STATUS_AFTER[command.action]
    at = command.source_updated_at
    if at is None:
        row = await conn.fetchrow(_CHANGE_STATUS, command.event_id, status)
    else:
        written = json_instant(at)
        row = await conn.fetchrow(_CHANGE_STATUS_AT_VERSION, command.event_id, status, at, written)
        if row is None:
            return await _with_current(conn, envelope, "stale", command.event_id)
    return make_outcome(envelope, "updated", row=row)


_APPLY: dict[str, Callable[[asyncpg.Connection, IngestEnvelope], Awaitable[Applied]]] = {
    "create_event": _create,
    "update_event": _update,
    "change_status": _change_status,
    "update_occurrence": update_occurrence,
}


async def _with_current(
    conn: asyncpg.Connection, envelope: IngestEnvelope, status: OutcomeStatus, event_id: uuid.UUID
) -> Applied:
    row = None
    if envelope.awaited(datetime.now(UTC)):
        row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", event_id)
    return make_outcome(envelope, status, event_id=event_id, row=row)
