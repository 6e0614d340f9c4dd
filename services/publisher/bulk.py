"""The set-based path for the common case: a batch of new events, or of records sent again.

All the batch's creates that no other command of it touches are claimed, stored and recorded
(their outcomes) by one statement, which takes a small group's rows as arrays and a larger
one's from a staging table they are copied into first. A record sent again (a CMS's create
naming a source record whose event is stored already) replaces its event in the same
statement. A create whose key was seen before is left to the caller, as is one whose event
exists that the statement does not replace (stale, recurring, or naming no record), its key
claimed; a constraint broken undoes the group's savepoint, and the caller redoes the group
one command at a time.
"""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.publisher.refusals import STORE_ERRORS
from services.publisher.rows import Applied, event_body_json, event_fields, make_outcome
from shared.contracts.messages import CreateEvent, IngestEnvelope

# A group's rows, in this order, whether copied or passed as arrays.
_STAGED_COLUMNS = (
    ("owner_account_id", "bigint"), ("idempotency_key", "text"), ("request_hash", "text"),
    ("event_id", "uuid"), ("message_id", "uuid"), ("request_id", "text"),
    ("received_at", "timestamptz"), ("channel_id", "bigint"), ("status", "text"),
    ("title", "text"), ("start_at", "timestamptz"), ("end_at", "timestamptz"),
    ("timezone", "text"), ("source_id", "text"), ("source_updated_at", "timestamptz"),
    ("body", "text"), ("replaces", "boolean"),
)  # fmt: skip

# A large group is copied (COPY, binary) into a session's temporary table, emptied at commit,
# and claimed and stored from there: COPY encodes a row in about 2 us, where the same rows as
# arrays for unnest() took 5 (asyncpg checks every array element's type). A small group goes
# as arrays in the statement itself: the table's statement and the COPY are two round trips,
# more than a few rows' encoding costs (at 500 requests/s a batch holds about four).
SMALL_GROUP = 32
STAGE_SQL = f"""
CREATE TEMP TABLE IF NOT EXISTS staged_creates (
    {", ".join(f"{name} {sql_type}" for name, sql_type in _STAGED_COLUMNS)}
) ON COMMIT DELETE ROWS;
DELETE FROM staged_creates
"""  # noqa: S608  (the constant column list)
# $1 is the time decided; the arrays follow.
_ARRAYS = ", ".join(f"${i}::{sql_type}[]" for i, (_, sql_type) in enumerate(_STAGED_COLUMNS, 2))
_ARRIVED = f"""arrived AS (
    SELECT * FROM unnest({_ARRAYS}) AS a({", ".join(name for name, _ in _STAGED_COLUMNS)})
), """  # noqa: S608  (the constant column list)

# Claims of rows `u` (owner_account_id, idempotency_key, ...): idempotency_keys is partitioned
# by time (migration 0022) and its primary key is (owner, key, day), so it only catches a key
# claimed the same day; this catches one claimed on an earlier day, in one statement for all
# the claims (a per-row trigger cost ten times more). `LIMIT 1` keeps it a lookup by (owner,
# key) in each partition's primary key for each row: written as NOT EXISTS, the planner made
# it an anti join over a seq scan of the whole current partition (6 ms per batch at 28,000
# keys in `make bench`, growing with the partition).
EARLIER_CLAIM = """LEFT JOIN LATERAL (
    SELECT true AS found FROM idempotency_keys k
    WHERE k.owner_account_id = u.owner_account_id AND k.idempotency_key = u.idempotency_key
      AND k.created_on < (now() AT TIME ZONE 'UTC')::date
    LIMIT 1) AS earlier ON true"""


def _claim_many(source: str) -> str:
    return f"""
INSERT INTO idempotency_keys
    (owner_account_id, idempotency_key, request_hash, event_id, message_id)
SELECT u.owner_account_id, u.idempotency_key, u.request_hash, u.event_id, u.message_id
FROM {source} u {EARLIER_CLAIM}
WHERE earlier.found IS NULL
ON CONFLICT DO NOTHING
RETURNING event_id
"""  # noqa: S608  (constant fragments)


CLAIM_MANY_SQL = _claim_many("staged_creates")


def _create_many(source: str, returning: str, all_or_none: bool = False) -> str:
    """The claims, the events and their outcomes ($1: the time decided) of the rows of
    `source`, in one statement: a round trip per batch is most of a small batch's cost, and
    these were three (claim, store, then stage, copy and insert the outcomes). An event is
    stored only with its claim and recorded only once stored. A claimed create whose event
    exists and that `replaces` (a record sent again) replaces it as `_REPLACE_EVENT` would,
    unless stale; any other such create is left to the caller. `all_or_none` (rows as arrays
    only): the statement itself fails, with SQLSTATE PE409, unless it stored or replaced
    every create."""
    arrived = _ARRIVED if source == "arrived" else ""
    if all_or_none:
        # The check's one row drives the join, so it runs even when nothing was changed.
        result = (
            "SELECT r.* FROM (SELECT creates_all_stored((SELECT count(*) FROM arrived),"
            " count(*)) FROM changed) AS checked LEFT JOIN changed r ON true"
        )
    else:
        # A row per claim, its change and event NULL where the caller is to go on.
        result = (
            "SELECT c.event_id AS claimed_event_id, r.* FROM claimed c"
            " LEFT JOIN changed r ON r.id = c.event_id"
        )
    return f"""
WITH {arrived}claimed AS ({_claim_many(source)}), stored AS (
    INSERT INTO events (id, owner_account_id, channel_id, status, title, start_at, end_at,
        timezone, source_id, source_updated_at, body)
    SELECT s.event_id, s.owner_account_id, s.channel_id, s.status, s.title, s.start_at,
        s.end_at, s.timezone, s.source_id, s.source_updated_at, s.body::jsonb
    FROM {source} s JOIN claimed c ON c.event_id = s.event_id
    ON CONFLICT (id) DO NOTHING
    RETURNING {returning}
){_replaced(source, returning)}, recorded AS (
    INSERT INTO command_outcomes (message_id, request_id, owner_account_id, event_id, status,
        decided_at, received_at)
    SELECT s.message_id, s.request_id, s.owner_account_id, s.event_id, 'created',
        $1::timestamptz, s.received_at
    FROM {source} s JOIN stored e ON e.id = s.event_id
    UNION ALL
    SELECT s.message_id, s.request_id, s.owner_account_id, s.event_id, 'updated',
        $1::timestamptz, s.received_at
    FROM {source} s JOIN replaced e ON e.id = s.event_id
    ON CONFLICT (message_id, received_at) DO NOTHING
), changed AS (
    SELECT 'created' AS change, * FROM stored
    UNION ALL SELECT 'updated' AS change, * FROM replaced
)
{result}
"""  # noqa: S608  (constant fragments)


# A record sent again unchanged moves neither version nor updated_at (apply.py's _SAME_EVENT).
_SAME = """e.body = s.body::jsonb AND e.occurrence_overrides = '[]'
    AND (e.status = 'cancelled' OR e.status = s.status)"""


def _replaced(source: str, returning: str) -> str:
    """The events the group's records sent again replace: apply.py's `_REPLACE_EVENT` for
    many, and it must agree with it (a cancellation is final; a stale record changes
    nothing). Its snapshot is the statement's, so it never sees the events `stored` inserts.
    Such a record does not recur (the overrides a series carries over are worked out one by
    one), so none are kept."""
    return f""", replaced AS (
    UPDATE events e SET
        status = CASE WHEN e.status = 'cancelled' THEN e.status ELSE s.status END,
        title = s.title, start_at = s.start_at, end_at = s.end_at, timezone = s.timezone,
        source_id = s.source_id,
        source_updated_at = COALESCE(s.source_updated_at, e.source_updated_at),
        body = s.body::jsonb, occurrence_overrides = '[]',
        version = CASE WHEN {_SAME} THEN e.version ELSE e.version + 1 END,
        updated_at = CASE WHEN {_SAME} THEN e.updated_at ELSE now() END
    FROM {source} s JOIN claimed c ON c.event_id = s.event_id
    WHERE e.id = s.event_id AND s.replaces
      AND (s.source_updated_at IS NULL OR e.source_updated_at IS NULL
           OR e.source_updated_at <= s.source_updated_at)
    RETURNING e.{returning}
)"""  # noqa: S608  (constant fragments)


# Each source, returning whole rows or only ids (create_all says which).
_CREATE_MANY = {
    (source, returning): _create_many(source, returning)
    for source in ("staged_creates", "arrived")
    for returning in ("*", "id")
}
_CREATE_ALL_OR_NONE = {
    returning: _create_many("arrived", returning, all_or_none=True) for returning in ("*", "id")
}
# creates_all_stored's refusal (migration 0031): the statement left some create of the group.
LEFT_SOME = "PE409"


class Refused(enum.Enum):
    """Why `create_all_or_none` changed nothing."""

    LEFT_SOME = "a create left (a key seen before, a stale or recurring record sent again)"
    STORE_REFUSED = "a create broke a constraint"


@dataclass(frozen=True, slots=True)
class Group:
    """What the set-based statement did with a group, by the batch's indexes."""

    applied: dict[int, Applied]  # created, or replaced by a record sent again
    # Claimed, their event stored already and not replaced: the caller goes on from there.
    claimed: frozenset[int] = frozenset()


def set_based_creates(batch: Sequence[IngestEnvelope]) -> list[int]:
    """Creates whose event id and idempotency key occur once in the batch: no other command
    of it can depend on their order."""
    events = Counter(envelope.command.event_id for envelope in batch)
    keys = Counter((envelope.owner_id, envelope.idempotency_key) for envelope in batch)
    return [
        index
        for index, envelope in enumerate(batch)
        if isinstance(envelope.command, CreateEvent)
        and events[envelope.command.event_id] == 1
        and keys[(envelope.owner_id, envelope.idempotency_key)] == 1
    ]


def fits_one_statement(batch: Sequence[IngestEnvelope]) -> bool:
    """Whether `create_all_or_none` can take the whole batch: a few set-based creates."""
    return len(batch) <= SMALL_GROUP and len(set_based_creates(batch)) == len(batch)


async def create_all_or_none(
    conn: asyncpg.Connection, batch: Sequence[IngestEnvelope]
) -> list[Applied] | Refused:
    """The outcomes, in order, of a batch that `fits_one_statement`, stored (or replaced, for
    records sent again) by one statement that is its own transaction (the connection must
    not be in one). When it would leave some create to the caller (LEFT_SOME) or one broke a
    constraint (STORE_REFUSED), the statement failed and changed nothing, and the caller
    takes the transaction path. At a steady rate most fetches hold a few creates, and the
    transaction's own four round trips were most of their cost."""
    decided_at = datetime.now(UTC)
    returning = _returning(batch, decided_at)
    try:
        rows = await conn.fetch(_CREATE_ALL_OR_NONE[returning], decided_at, *_arrays(batch))
    except STORE_ERRORS:
        return Refused.STORE_REFUSED
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == LEFT_SOME:
            return Refused.LEFT_SOME
        raise
    by_id = {row["id"]: row for row in rows}
    return [
        make_outcome(envelope, (row := by_id[envelope.command.event_id])["change"], row=row,
                     decided_at=decided_at, recorded=True)
        for envelope in batch
    ]  # fmt: skip


async def create_all(conn: asyncpg.Connection, group: list[tuple[int, IngestEnvelope]]) -> Group:
    """Stores the group's new events and replaces those of its records sent again in one
    statement, and claims the keys of all whose key is new. None of it (its savepoint undone)
    when any create broke a constraint: the caller then applies the group one by one, where
    the store's refusal is named, counted and logged."""
    envelopes = [envelope for _, envelope in group]
    decided_at = datetime.now(UTC)
    returning = _returning(envelopes, decided_at)
    try:
        async with conn.transaction():  # a savepoint: the fallback starts clean
            if len(group) <= SMALL_GROUP:
                statement = _CREATE_MANY["arrived", returning]
                rows = await conn.fetch(statement, decided_at, *_arrays(envelopes))
            else:
                await conn.execute(STAGE_SQL)
                await conn.copy_records_to_table("staged_creates", records=map(_staged, envelopes))
                rows = await conn.fetch(_CREATE_MANY["staged_creates", returning], decided_at)
    except STORE_ERRORS:
        return Group(applied={})
    by_claim = {row["claimed_event_id"]: row for row in rows}
    return Group(
        applied=_applied(group, by_claim, decided_at),
        claimed=frozenset(
            i for i, e in group
            if (row := by_claim.get(e.command.event_id)) and row["change"] is None
        ),
    )  # fmt: skip


def _returning(batch: Sequence[IngestEnvelope], decided_at: datetime) -> str:
    # Whole rows (and their bodies decoded) only when some gateway waits to answer with one.
    return "*" if any(envelope.awaited(decided_at) for envelope in batch) else "id"


def _applied(
    group: list[tuple[int, IngestEnvelope]],
    by_claim: dict[uuid.UUID, asyncpg.Record],
    decided_at: datetime,
) -> dict[int, Applied]:
    """The outcomes of the group's creates the statement stored or replaced (`by_claim`: its
    rows by the claimed event id, `change` NULL for those it left)."""
    applied = {}
    for index, envelope in group:
        row = by_claim.get(envelope.command.event_id)
        if row is not None and row["change"] is not None:
            applied[index] = make_outcome(envelope, row["change"], row=row,
                                          decided_at=decided_at, recorded=True)  # fmt: skip
    return applied


def _arrays(batch: Sequence[IngestEnvelope]) -> list[list[Any]]:
    """The rows of `_staged` as one array per column, the statement's parameters after $1."""
    return [list(column) for column in zip(*map(_staged, batch), strict=True)]


def _staged(envelope: IngestEnvelope) -> tuple[Any, ...]:
    """The row of staged_creates, in its columns' order."""
    command = envelope.command
    assert isinstance(command, CreateEvent)
    return (
        envelope.owner_id,
        envelope.idempotency_key,
        envelope.request_hash,
        command.event_id,
        envelope.message_id,
        envelope.request_id,
        envelope.received_at,
        command.event.channelId,
        command.event.status,
        *event_fields(command.event),
        event_body_json(command.event),
        command.event.sourceId is not None and command.event.recurrence is None,
    )
