"""One rule, proven: whatever the gateway's validation accepts, the publisher's SQL stores.

Hypothesis draws event and patch bodies (tests/strategies.py); those the edge's validation
accepts travel as the gateway would send them (encoded, decoded as the publisher decodes Kafka
records) and are written by the publisher's own code into the real PostgreSQL, through both
its set-based and its one-by-one path, new and as a record sent again. None may be refused,
and what is read back is what was accepted. The change records the events' triggers leave in
the outbox then travel as the relay sends them and are projected into the discovery read
model by the projector's own code: a public page can show whatever was accepted. Each
example's writes are rolled back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from hypothesis import given, settings

from services.discovery.projector.rows import projected
from services.discovery.projector.store import project
from services.publisher.apply import apply_batch
from services.publisher.bulk import create_all
from shared.contracts.changes import change_record, decode_change
from shared.contracts.messages import (
    CreateEvent,
    UpdateEvent,
    decode_outcome,
    derive_event_id,
    encode,
)
from shared.domain.events import EventInput, InvalidEvent, apply_patch, parse_event, parse_patch
from tests.examples import RICH
from tests.integration.conftest import Tenant
from tests.integration.publisher_support import through_kafka
from tests.strategies import event_bodies, patch_bodies


def accepted(body: dict[str, Any]) -> EventInput | None:
    try:
        return parse_event(body)
    except InvalidEvent:
        return None


async def stored_body(conn: asyncpg.Connection, event_id: uuid.UUID) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT start_at, body FROM events WHERE id = $1", event_id)
    assert row is not None
    body: dict[str, Any] = row["body"]
    assert row["start_at"] == datetime.fromisoformat(body["startAt"])
    return body


async def project_changes(conn: asyncpg.Connection, event_ids: list[uuid.UUID]) -> None:
    """The outbox's records of these events, relayed and projected: each reaches the read
    model (the projector refuses nothing it is sent)."""
    outbox = await conn.fetch(
        "SELECT * FROM event_changes WHERE event_id = ANY($1::uuid[]) ORDER BY seq", event_ids
    )
    newest = {r["event_id"]: r for r in outbox}  # per event, the last change
    assert set(newest) == set(event_ids)
    changes = [decode_change(change_record(r)) for r in newest.values()]
    made = await project(conn, [projected(change) for change in changes])
    assert made == set(event_ids)


def as_stored(event: EventInput) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude={"status"})


async def create_every_way(
    conn: asyncpg.Connection, tenant: Tenant, event: EventInput
) -> dict[uuid.UUID, EventInput]:
    """The event four times, by the events' ids: twice new through the set-based path, once
    one by one, and once as a record sent again over a stored placeholder (replaced by the
    set-based statement, or one by one when it recurs)."""
    group = [through_kafka(tenant, CreateEvent(event_id=uuid.uuid4(), event=event)) for _ in "ab"]
    fast = await create_all(conn, list(enumerate(group)))
    assert len(fast.applied) == len(group)  # none refused
    single = through_kafka(tenant, CreateEvent(event_id=uuid.uuid4(), event=event))
    (outcome,) = await apply_batch(conn, [single])
    assert (outcome.status, outcome.reason) == ("created", None)
    record = event.sourceId or "storable-record"
    named = event.model_copy(update={"sourceId": record})
    record_id = derive_event_id(tenant.account_id, None, tenant.channel_id, record)
    placeholder = parse_event(tenant.event(sourceId=record, title="Placeholder"))
    (stored,) = await apply_batch(conn, [through_kafka(tenant, CreateEvent(
        event_id=record_id, event=placeholder))])  # fmt: skip
    assert stored.status == "created"
    (again,) = await apply_batch(conn, [through_kafka(tenant, CreateEvent(
        event_id=record_id, event=named))])  # fmt: skip
    assert (again.status, again.reason, again.recorded) == ("updated", None,
                                                             event.recurrence is None)  # fmt: skip
    for applied in [*fast.applied.values(), outcome, again]:
        decode_outcome(encode(applied.message()))  # a waiting gateway can read it
    return {**{e.command.event_id: event for e in (*group, single)}, record_id: named}


@settings(max_examples=250)
@given(body=event_bodies(channel_id=0))
async def test_every_accepted_event_is_stored_as_accepted(
    conn: asyncpg.Connection, tenant: Tenant, body: dict[str, Any]
) -> None:
    event = accepted({**body, "channelId": tenant.channel_id})
    if event is None:
        return
    transaction = conn.transaction()
    await transaction.start()
    try:
        created = await create_every_way(conn, tenant, event)
        for event_id, sent in created.items():
            assert await stored_body(conn, event_id) == as_stored(sent)
        await project_changes(conn, list(created))
    finally:
        await transaction.rollback()


@settings(max_examples=250)
@given(body=patch_bodies())
async def test_every_accepted_patch_is_stored_as_accepted(
    conn: asyncpg.Connection, tenant: Tenant, body: dict[str, Any]
) -> None:
    transaction = conn.transaction()
    await transaction.start()
    try:
        original = parse_event(tenant.event(**RICH))
        create = through_kafka(tenant, CreateEvent(event_id=uuid.uuid4(), event=original))
        (created,) = await apply_batch(conn, [create])
        event_id = created.event_id
        try:  # as the gateway checks a PATCH: the patch, then the merged event
            changes = parse_patch(body).changes()
            merged = apply_patch(await stored_body(conn, event_id), changes, tenant.channel_id)
        except InvalidEvent:
            return
        update = through_kafka(tenant, UpdateEvent(event_id=event_id, changes=changes))
        (outcome,) = await apply_batch(conn, [update])
        assert (outcome.status, outcome.reason) == ("updated", None)
        assert await stored_body(conn, event_id) == as_stored(merged)
        await project_changes(conn, [event_id])
    finally:
        await transaction.rollback()
