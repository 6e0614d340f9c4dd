"""apply_batch on the real database: the set-based path for new creates, and the one-by-one
path wherever order or a redelivery matters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from services.publisher.apply import apply_batch
from services.publisher.bulk import SMALL_GROUP, Refused, create_all_or_none, fits_one_statement
from services.publisher.outcome_log import record_outcomes
from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    IngestEnvelope,
    UpdateEvent,
    derive_event_id,
)
from shared.domain.events import parse_event
from tests.integration.conftest import Tenant


def envelope(tenant: Tenant, command: Command, key: str | None = None) -> IngestEnvelope:
    message_id = uuid.uuid4()
    return IngestEnvelope(
        message_id=message_id, request_id=f"req_{message_id.hex}",
        received_at=datetime.now(UTC), owner_id=tenant.account_id,
        idempotency_key=key or f"message:{message_id}", request_hash="h", command=command,
    )  # fmt: skip


def create(tenant: Tenant, **changes: object) -> CreateEvent:
    return CreateEvent(event_id=uuid.uuid4(), event=parse_event(tenant.event(**changes)))


def sourced(tenant: Tenant, source_id: str, **changes: object) -> CreateEvent:
    """A create naming its source record, with the event id the gateway derives from it."""
    event_id = derive_event_id(tenant.account_id, None, tenant.channel_id, source_id)
    return CreateEvent(event_id=event_id, event=parse_event(tenant.event(sourceId=source_id,
                                                                         **changes)))  # fmt: skip


async def apply(db: asyncpg.Pool, batch: list[IngestEnvelope]) -> list[str]:
    async with db.acquire() as conn, conn.transaction():
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        return [outcome.status for outcome in await apply_batch(conn, batch)]


async def test_new_creates_are_stored_and_a_redelivery_only_finds_duplicates(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    batch = [envelope(tenant, create(tenant, title=f"Fast {i}")) for i in range(5)]
    assert await apply(db, batch) == ["created"] * 5
    assert await apply(db, batch) == ["duplicate"] * 5
    count = await db.fetchval(
        "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
    )
    assert count == 5


@pytest.mark.parametrize("creates", [3, SMALL_GROUP + 1], ids=["as arrays", "copied"])
async def test_every_outcome_is_recorded_once_whichever_path_applied_it(
    db: asyncpg.Pool, tenant: Tenant, creates: int
) -> None:
    """The set-based path records its creates' outcomes in its own statement (a small group
    passed as arrays, a larger one copied first); the batch step records the rest (here a
    rejection and a redelivered duplicate), none of them twice."""
    fast = [envelope(tenant, create(tenant, title=f"Recorded {i}")) for i in range(creates)]
    missing = UpdateEvent(event_id=uuid.uuid4(), changes={"title": "Nowhere"})
    batch = [*fast, envelope(tenant, missing)]
    async with db.acquire() as conn, conn.transaction():
        outcomes = await apply_batch(conn, batch)
        await record_outcomes(conn, outcomes)
        again = await apply_batch(conn, fast[:1])
        await record_outcomes(conn, again)
    rows = await db.fetch(
        "SELECT message_id, status, decided_at, received_at FROM command_outcomes "
        "WHERE owner_account_id = $1",
        tenant.account_id,
    )
    recorded = {row["message_id"]: row for row in rows}
    assert len(rows) == len(recorded) == creates + 1  # the duplicate's is the first one's
    statuses = [recorded[e.message_id]["status"] for e in batch]
    assert statuses == ["created"] * creates + ["rejected"]
    assert all(recorded[o.message_id]["decided_at"] == o.decided_at for o in outcomes)
    assert all(recorded[e.message_id]["received_at"] == e.received_at for e in batch)
    assert [o.status for o in again] == ["duplicate"]
    assert [o.recorded for o in outcomes] == [True] * creates + [False]  # set-based path ran
    stored = await db.fetch(
        "SELECT id, title, body->>'title' AS body_title FROM events WHERE owner_account_id = $1",
        tenant.account_id,
    )
    assert sorted((r["title"], r["body_title"]) for r in stored) == sorted(
        (f"Recorded {i}", f"Recorded {i}") for i in range(creates)
    )


async def test_a_few_new_creates_are_stored_by_one_statement_all_or_none(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """A fetch of a few plain creates is one statement, its own transaction: stored and
    recorded when every create is new; when any was seen before, or the store refuses one,
    the statement fails and nothing of that fetch stays (the transaction path then decides)."""
    first = [envelope(tenant, create(tenant, title=f"Alone {i}")) for i in range(3)]
    fresh = [envelope(tenant, create(tenant, title=f"Late {i}")) for i in range(2)]
    refused = envelope(tenant, create(tenant, channelId=2_000_000_001))
    async with db.acquire() as conn:
        outcomes = await create_all_or_none(conn, first)
        assert outcomes is not None
        assert [(o.status, o.event_id, o.recorded) for o in outcomes] == [
            ("created", e.command.event_id, True) for e in first
        ]
        assert not conn.is_in_transaction()
        seen = Refused.LEFT_SOME
        assert await create_all_or_none(conn, first) is seen  # nothing stored at all
        assert await create_all_or_none(conn, [fresh[0], first[1], fresh[1]]) is seen
        broken = await create_all_or_none(conn, [fresh[0], refused, fresh[1]])
        assert broken is Refused.STORE_REFUSED
    titles = await db.fetch(
        "SELECT title FROM events WHERE owner_account_id = $1 ORDER BY title", tenant.account_id
    )
    assert [row["title"] for row in titles] == ["Alone 0", "Alone 1", "Alone 2"]
    recorded = await db.fetch(
        "SELECT message_id, status FROM command_outcomes WHERE owner_account_id = $1",
        tenant.account_id,
    )
    assert sorted((r["message_id"], r["status"]) for r in recorded) == sorted(
        (e.message_id, "created") for e in first
    )
    claims = await db.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE owner_account_id = $1", tenant.account_id
    )
    assert claims == 3


async def test_one_statement_replaces_records_sent_again_unless_it_must_leave_one(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """A CMS's fetch of a new record and an edited one is one statement too; a stale record
    (or a recurring one) it would leave to the transaction path, so it fails whole."""
    older, newer = "2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z"
    stored = envelope(tenant, sourced(tenant, "page-1", title="First", sourceUpdatedAt=older))
    assert await apply(db, [stored]) == ["created"]
    edited = envelope(tenant, sourced(tenant, "page-1", title="Edited", sourceUpdatedAt=newer))
    new = envelope(tenant, sourced(tenant, "page-2", title="New"))
    late = envelope(tenant, sourced(tenant, "page-1", title="Late", sourceUpdatedAt=older))
    other = envelope(tenant, sourced(tenant, "page-3", title="Not stored"))
    async with db.acquire() as conn:
        outcomes = await create_all_or_none(conn, [new, edited])
        assert not isinstance(outcomes, Refused)
        assert [(o.status, o.recorded) for o in outcomes] == [("created", True), ("updated", True)]
        assert await create_all_or_none(conn, [other, late]) is Refused.LEFT_SOME
    stored_rows = await db.fetch(
        "SELECT source_id, title, version FROM events WHERE owner_account_id = $1",
        tenant.account_id,
    )
    assert sorted((r["source_id"], r["title"], r["version"]) for r in stored_rows) == [
        ("page-1", "Edited", 2), ("page-2", "New", 1),
    ]  # fmt: skip
    recorded = await db.fetch(
        "SELECT message_id, status FROM command_outcomes WHERE owner_account_id = $1",
        tenant.account_id,
    )
    assert sorted((r["message_id"], r["status"]) for r in recorded) == sorted(
        [(stored.message_id, "created"), (new.message_id, "created"),
         (edited.message_id, "updated")]
    )  # fmt: skip


async def test_without_the_set_based_path_every_command_goes_one_by_one(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """What the publisher does after its one statement broke a constraint: the set-based
    statement would break it too, so every command goes one by one (each outcome recorded
    afterwards)."""
    batch = [envelope(tenant, create(tenant, title=f"Slow {i}")) for i in range(3)]
    async with db.acquire() as conn, conn.transaction():
        outcomes = await apply_batch(conn, batch, set_based=False)
    assert [(o.status, o.recorded) for o in outcomes] == [("created", False)] * 3


def test_one_statement_takes_only_a_few_creates(tenant: Tenant) -> None:
    few = [envelope(tenant, create(tenant, title=f"Few {i}")) for i in range(SMALL_GROUP)]
    assert fits_one_statement(few)
    more = [*few, envelope(tenant, create(tenant, title="One more"))]
    assert not fits_one_statement(more)  # copied in a transaction instead
    update = UpdateEvent(event_id=few[0].command.event_id, changes={"title": "Later"})
    assert not fits_one_statement([*few[:3], envelope(tenant, update)])
    twice = envelope(tenant, create(tenant, title="Again"), key=few[0].idempotency_key)
    assert not fits_one_statement([*few[:3], twice])  # one key twice: order decides
    named = envelope(tenant, sourced(tenant, "cms-7", title="From a CMS"))
    assert fits_one_statement([few[0], named])  # new, or sent again: the statement decides


@pytest.mark.parametrize("size", [5, SMALL_GROUP + 1], ids=["as arrays", "copied"])
async def test_records_sent_again_leave_the_new_ones_to_the_set_based_statement(
    db: asyncpg.Pool, tenant: Tenant, size: int
) -> None:
    """A CMS sends a record again on every edit. The group's statement stores the new
    records and replaces the events of those sent again, unless stale: a stale one, its key
    claimed by the statement, is found stale one by one; a redelivered command finds its key
    claimed. Nothing is stored or recorded twice."""
    older, newer = "2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z"
    first = [
        envelope(tenant, sourced(tenant, "doc-edited", title="Draft", sourceUpdatedAt=older)),
        envelope(tenant, sourced(tenant, "doc-newer", title="Kept", sourceUpdatedAt=newer)),
        envelope(tenant, sourced(tenant, "doc-redelivered", title="Once")),
    ]
    assert await apply(db, first) == ["created"] * 3
    new = [envelope(tenant, sourced(tenant, f"doc-{i}", title=f"New {i}")) for i in range(size)]
    batch = [
        envelope(tenant, sourced(tenant, "doc-edited", title="Edited", sourceUpdatedAt=newer)),
        new[0],
        envelope(tenant, sourced(tenant, "doc-newer", title="Late", sourceUpdatedAt=older)),
        first[2],
        *new[1:],
    ]
    async with db.acquire() as conn, conn.transaction():
        outcomes = await apply_batch(conn, batch)
        await record_outcomes(conn, outcomes)
    assert [(o.status, o.recorded) for o in outcomes] == [
        ("updated", True), ("created", True), ("stale", False), ("duplicate", False),
        *[("created", True)] * (size - 1),
    ]  # fmt: skip
    stored = await db.fetch(
        "SELECT source_id, title, body->>'title' AS body_title, source_updated_at, version"
        " FROM events WHERE owner_account_id = $1",
        tenant.account_id,
    )
    assert sorted((r["source_id"], r["title"], r["body_title"], r["version"]) for r in stored) == (
        sorted([("doc-edited", "Edited", "Edited", 2), ("doc-newer", "Kept", "Kept", 1),
                ("doc-redelivered", "Once", "Once", 1),
                *[(f"doc-{i}", f"New {i}", f"New {i}", 1) for i in range(size)]])
    )  # fmt: skip
    edited = next(r for r in stored if r["source_id"] == "doc-edited")
    assert edited["source_updated_at"] == datetime.fromisoformat(newer)
    claims = await db.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE owner_account_id = $1", tenant.account_id
    )
    assert claims == len(first) + len(batch) - 1  # the redelivery claimed nothing
    recorded = await db.fetch(
        "SELECT message_id, status FROM command_outcomes WHERE owner_account_id = $1",
        tenant.account_id,
    )
    statuses = {r["message_id"]: r["status"] for r in recorded}
    assert len(recorded) == len(statuses) == len(first) + len(batch) - 1
    assert [statuses[e.message_id] for e in batch[:4]] == [
        "updated", "created", "stale", "created",  # the redelivery's is its first outcome
    ]  # fmt: skip


async def test_a_record_sent_again_that_the_store_refuses_keeps_its_claim(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    """A recurring record sent again is replaced one by one (the overrides its series keeps
    are worked out there), under the claim the group's statement made: the key stays claimed
    although the replace was refused, so a retry gets the same rejection."""
    weekly = {"recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4"}}
    first = envelope(tenant, sourced(tenant, "doc-1", title="Stored", **weekly))
    assert await apply(db, [first]) == ["created"]
    resend = envelope(tenant, sourced(tenant, "doc-1", title="Refused here", **weekly))
    fresh = envelope(tenant, sourced(tenant, "doc-2", title="New"))
    async with db.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            # A constraint of this transaction only (rolled back), broken by the replace.
            await conn.execute(
                "ALTER TABLE events ADD CONSTRAINT refuses_a_title"
                " CHECK (title <> 'Refused here') NOT VALID"
            )
            outcomes = await apply_batch(conn, [resend, fresh])
            await record_outcomes(conn, outcomes)
            (retried,) = await apply_batch(conn, [resend])
            claims = await conn.fetchval(
                "SELECT count(*) FROM idempotency_keys WHERE message_id = $1", resend.message_id
            )
        finally:
            await transaction.rollback()
    assert [(o.status, o.reason_code) for o in outcomes] == [
        ("rejected", "store_refused"), ("created", None),
    ]  # fmt: skip
    assert (retried.status, retried.reason_code) == ("rejected", "store_refused")
    assert claims == 1


async def test_one_bad_create_does_not_sink_the_others(db: asyncpg.Pool, tenant: Tenant) -> None:
    batch = [envelope(tenant, create(tenant, title=f"Good {i}")) for i in range(3)]
    batch.insert(1, envelope(tenant, create(tenant, channelId=2_000_000_001)))
    assert await apply(db, batch) == ["created", "rejected", "created", "created"]


async def test_create_then_update_of_one_event_apply_in_order(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    first = create(tenant, title="Before")
    update = UpdateEvent(event_id=first.event_id, changes={"title": "After"})
    others = [envelope(tenant, create(tenant, title=f"Other {i}")) for i in range(3)]
    batch = [others[0], envelope(tenant, update), envelope(tenant, first), *others[1:]]
    # The update comes first in Kafka order, so it finds no event; the create then stores it.
    assert await apply(db, batch) == ["created", "rejected", "created", "created", "created"]
    title = await db.fetchval("SELECT title FROM events WHERE id = $1", first.event_id)
    assert title == "Before"
    # A second create of the same event (new message, no sourceId) is a duplicate; an update
    # after it in the same batch applies.
    later = [envelope(tenant, first), envelope(tenant, update)]
    assert await apply(db, later) == ["duplicate", "updated"]
    title = await db.fetchval("SELECT title FROM events WHERE id = $1", first.event_id)
    assert title == "After"


async def test_a_takedown_already_in_effect_changes_nothing(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    first = create(tenant, title="Taken down twice")
    cancel = ChangeStatus(event_id=first.event_id, action="cancel")
    assert await apply(db, [envelope(tenant, first), envelope(tenant, cancel)]) == [
        "created",
        "updated",
    ]
    version = await db.fetchval("SELECT version FROM events WHERE id = $1", first.event_id)
    # One delete per stored row (a draft and a published copy): the second is a duplicate.
    assert await apply(db, [envelope(tenant, cancel)]) == ["duplicate"]
    publish = ChangeStatus(event_id=first.event_id, action="publish")
    assert await apply(db, [envelope(tenant, publish)]) == ["rejected"]
    row = await db.fetchrow("SELECT status, version FROM events WHERE id = $1", first.event_id)
    assert (row["status"], row["version"]) == ("cancelled", version)
