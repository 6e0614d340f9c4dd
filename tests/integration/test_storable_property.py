"""One rule, proven: whatever the gateway's validation accepts, the publisher's SQL stores.

Hypothesis draws event and patch bodies (tests/strategies.py); those the edge's validation
accepts travel as the gateway would send them (encoded, decoded as the publisher decodes Kafka
records) and are written by the publisher's own code into the real PostgreSQL, through both
its set-based and its one-by-one path. None may be refused, and what is read back is what was
accepted. The change records the events' triggers leave in the outbox then travel as the
relay sends them and are projected into the discovery read model by the projector's own
code: a public page can show whatever was accepted. Each example's writes are rolled back.
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


async def create_both_ways(
    conn: asyncpg.Connection, tenant: Tenant, event: EventInput
) -> list[uuid.UUID]:
    """The event three times: twice through the set-based path, once one by one."""
    group = [through_kafka(tenant, CreateEvent(event_id=uuid.uuid4(), event=event)) for _ in "ab"]
    fast = await create_all(conn, list(enumerate(group)))
    assert len(fast.created) == len(group)  # none refused
    single = through_kafka(tenant, CreateEvent(event_id=uuid.uuid4(), event=event))
    (outcome,) = await apply_batch(conn, [single])
    assert (outcome.status, outcome.reason) == ("created", None)
    for applied in [*fast.created.values(), outcome]:
        decode_outcome(encode(applied.message()))  # a waiting gateway can read it
    return [e.command.event_id for e in (*group, single)]


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
        event_ids = await create_both_ways(conn, tenant, event)
        for event_id in event_ids:
            assert await stored_body(conn, event_id) == as_stored(event)
        await project_changes(conn, event_ids)
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
        (event_id,) = (await create_both_ways(conn, tenant, original))[2:]
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
