"""The set-based path for the common case: a batch of new events.

All the batch's plain creates are claimed with one multi-row INSERT and stored with another.
Anything unexpected (a key or an event seen before, a constraint) undoes the group's savepoint,
and the caller redoes the group one command at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.publisher.refusals import STORE_ERRORS
from services.publisher.rows import Applied, event_body_json, event_fields, make_outcome
from shared.contracts.messages import CreateEvent, IngestEnvelope

_CLAIM_MANY = """
INSERT INTO idempotency_keys
    (owner_account_id, idempotency_key, request_hash, event_id, message_id)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::uuid[], $5::uuid[])
ON CONFLICT DO NOTHING
RETURNING event_id
"""

_INSERT_MANY = """
INSERT INTO events (id, owner_account_id, channel_id, status, title, start_at, end_at,
    timezone, source_id, source_updated_at, body)
SELECT u.id, u.owner, u.channel, u.status, u.title, u.start_at, u.end_at, u.timezone,
    u.source_id, u.source_updated_at, u.body::jsonb
FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
    $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::timestamptz[],
    $11::text[]) AS u(id, owner, channel, status, title, start_at, end_at, timezone,
    source_id, source_updated_at, body)
ON CONFLICT (id) DO NOTHING
RETURNING {returning}
"""


class _NotAllNew(Exception):
    """Some create of the fast group was seen before: undo the group's savepoint."""


def plain_creates(batch: Sequence[IngestEnvelope]) -> list[int]:
    """Creates without sourceId whose event id and idempotency key occur once in the batch."""
    events = Counter(envelope.command.event_id for envelope in batch)
    keys = Counter((envelope.owner_id, envelope.idempotency_key) for envelope in batch)
    return [
        index
        for index, envelope in enumerate(batch)
        if isinstance(envelope.command, CreateEvent)
        and envelope.command.event.sourceId is None
        and events[envelope.command.event_id] == 1
        and keys[(envelope.owner_id, envelope.idempotency_key)] == 1
    ]


async def create_all(
    conn: asyncpg.Connection, group: list[tuple[int, IngestEnvelope]]
) -> dict[int, Applied]:
    """The group's outcomes by index, or none at all (its savepoint undone) when any of it
    was seen before or broke a constraint: the caller then applies it one by one."""
    envelopes = [envelope for _, envelope in group]
    # Whole rows (and their bodies decoded) only when some gateway waits to answer with one.
    now = datetime.now(UTC)
    returning = "*" if any(envelope.awaited(now) for envelope in envelopes) else "id"
    try:
        async with conn.transaction():  # a savepoint: the fallback starts clean
            claims = await conn.fetch(_CLAIM_MANY, *_columns_of(envelopes, _claim_row))
            if len(claims) != len(group):
                raise _NotAllNew
            insert = _INSERT_MANY.format(returning=returning)
            rows = await conn.fetch(insert, *_columns_of(envelopes, _event_row))
            if len(rows) != len(group):
                raise _NotAllNew
    except _NotAllNew:
        return {}
    except STORE_ERRORS:  # named, counted and logged when its command goes one by one
        return {}
    by_id = {row["id"]: row for row in rows}
    return {
        index: make_outcome(envelope, "created", row=by_id[envelope.command.event_id])
        for index, envelope in group
    }


def _columns_of(
    envelopes: list[IngestEnvelope], row: Callable[[IngestEnvelope], tuple[Any, ...]]
) -> list[list[Any]]:
    return [list(column) for column in zip(*(row(e) for e in envelopes), strict=True)]


def _claim_row(envelope: IngestEnvelope) -> tuple[Any, ...]:
    return (
        envelope.owner_id,
        envelope.idempotency_key,
        envelope.request_hash,
        envelope.command.event_id,
        envelope.message_id,
    )


def _event_row(envelope: IngestEnvelope) -> tuple[Any, ...]:
    command = envelope.command
    assert isinstance(command, CreateEvent)
    return (
        command.event_id,
        envelope.owner_id,
        command.event.channelId,
        command.event.status,
        *event_fields(command.event),
        event_body_json(command.event),
    )
