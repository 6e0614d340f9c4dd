"""The relay's records mean what the models' encoding meant.

The relay encodes each outbox row with `change_record` (arranged, not validated: the row holds
what the publisher validated and stored). Hypothesis draws events and what happens to them
next (patches, publish / unpublish / cancel, an occurrence moved or cancelled); the
publisher's own code applies them in the real PostgreSQL, whose triggers fill the outbox; every
row's record must decode (as consumers decode it) to the same EventChange as the validated
models' encoding of that row, and be the same JSON value. Each example is rolled back.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from hypothesis import event as tally
from hypothesis import given, settings
from hypothesis import strategies as st

from services.publisher.apply import apply_batch
from shared.contracts.changes import change_from_outbox, change_record, decode_change, encode_change
from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    UpdateEvent,
    UpdateOccurrence,
)
from shared.domain.events import InvalidEvent, parse_event, parse_patch
from shared.domain.occurrences import parse_occurrence_change
from tests.examples import RICH, docs_example
from tests.integration.conftest import Tenant
from tests.integration.publisher_support import through_kafka
from tests.strategies import (
    event_bodies,
    images,
    moment,
    occurrence_changes,
    optional_text,
    patch_bodies,
    prices,
    text,
    ticket_links,
    venues,
)

DAILY = {"rrule": "FREQ=DAILY;COUNT=5", "exdates": []}

# Events drawn whole (half of them refused), and the docs' example with every optional field
# drawn, each usually valid: enough accepted events, recurring or not, with null fields.
full_events = st.fixed_dictionaries(
    {},
    optional={
        "title": text, "description": optional_text, "venue": st.none() | venues,
        "images": st.none() | images, "ticketLinks": st.none() | ticket_links,
        "price": st.none() | prices, "capacity": st.none() | st.integers(1, 1_000_000),
        "sourceId": optional_text, "sourceUpdatedAt": st.none() | moment("UTC"),
        "status": st.sampled_from(["draft", "published"]),
    },
).map(lambda drawn: docs_example(0, **drawn))  # fmt: skip
bodies = st.one_of(event_bodies(channel_id=0), full_events)

# What may happen next: a patch (drawn whole, or one field), an action, an occurrence moved by
# some hours or changed as drawn (often refused: then it changes nothing).
patches = st.one_of(
    patch_bodies(),
    st.fixed_dictionaries({"title": text}),
    st.fixed_dictionaries({"description": optional_text}),
    st.fixed_dictionaries({"venue": st.none() | venues, "capacity": st.none() | st.just(40)}),
    st.fixed_dictionaries({"price": st.none() | prices}),
)  # fmt: skip
steps = st.lists(
    st.one_of(
        patches.map(lambda body: ("patch", body)),
        st.sampled_from(["publish", "unpublish", "cancel"]).map(lambda a: ("status", a)),
        st.tuples(st.integers(0, 2), st.integers(-30, 30)).map(lambda m: ("move", m)),
        st.tuples(st.integers(0, 2), occurrence_changes()).map(lambda c: ("occurrence", c)),
    ),
    max_size=5,
)


def command_for(event_id: uuid.UUID, start: datetime, step: tuple[str, Any]) -> Command | None:
    """The command the gateway would send for `step`, or None where it refuses the request."""
    kind, value = step
    try:
        if kind == "patch":
            return UpdateEvent(event_id=event_id, changes=parse_patch(value).changes())
        if kind == "status":
            return ChangeStatus(event_id=event_id, action=value)
        days, change = value
        if kind == "move":
            moved = start + timedelta(days=days, hours=change)
            change = {"startAt": moved.isoformat()}
        changes = parse_occurrence_change(change).changes()
    except InvalidEvent:
        return None
    day = start.date() + timedelta(days=days)
    return UpdateOccurrence(event_id=event_id, occurrence=day, changes=changes)


def assert_same_meaning(row: asyncpg.Record) -> None:
    relayed = change_record(row)
    modelled = encode_change(change_from_outbox(row))
    assert decode_change(relayed) == decode_change(modelled)
    # Equal models may still hold one instant at two offsets: compare what they say, too.
    assert decode_change(relayed).model_dump_json() == decode_change(modelled).model_dump_json()
    assert json.loads(relayed) == json.loads(modelled)


async def outbox_rows(conn: asyncpg.Connection, event_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM event_changes WHERE event_id = $1 ORDER BY seq", event_id
    )


@settings(max_examples=200)
@given(body=bodies, recurring=st.booleans(), history=steps)
async def test_relayed_records_decode_as_the_models_encoded_them(
    conn: asyncpg.Connection,
    tenant: Tenant,
    body: dict[str, Any],
    recurring: bool,
    history: list[tuple[str, Any]],
) -> None:
    if recurring:
        body = {**body, "recurrence": DAILY, "endAt": None}
    try:
        event = parse_event({**body, "channelId": tenant.channel_id})
    except InvalidEvent:
        return
    event_id = uuid.uuid4()
    start = event.startAt.astimezone(ZoneInfo(event.timezone))
    commands = [CreateEvent(event_id=event_id, event=event)]
    commands += [c for step in history if (c := command_for(event_id, start, step)) is not None]
    transaction = conn.transaction()
    await transaction.start()
    try:
        for command in commands:
            await apply_batch(conn, [through_kafka(tenant, command)])
        rows = await outbox_rows(conn, event_id)
        assert rows  # the create, at least
        for row in rows:
            tally(f"{row['change']}{', recurring' if row['body']['recurrence'] else ''}"
                  f"{', overrides' if row['occurrence_overrides'] else ''}")  # fmt: skip
            assert_same_meaning(row)
    finally:
        await transaction.rollback()


async def test_a_rich_recurring_event_through_every_kind_of_change(
    conn: asyncpg.Connection, tenant: Tenant
) -> None:
    """Every field filled, HTML and scripts of several kinds in the text, then an update, a
    moved and a cancelled occurrence, an unpublish and a cancel: one record each."""
    rich = {**tenant.event(**RICH), "title": "Café Müller — <b>Tanztheater</b> 東京 🎷",
            "description": "<p>Doors at <strong>7pm</strong> &amp; later</p>",
            "recurrence": DAILY, "endAt": None}  # fmt: skip
    event = parse_event(rich)
    event_id = uuid.uuid4()
    start = event.startAt.astimezone(ZoneInfo(event.timezone))
    history: list[tuple[str, Any]] = [
        ("patch", {"title": "Renamed ‮ مهرجان", "venue": None, "capacity": 40}),
        ("move", (1, 2)),
        ("occurrence", (2, {"status": "cancelled"})),
        ("status", "unpublish"),
        ("status", "cancel"),
    ]
    transaction = conn.transaction()
    await transaction.start()
    try:
        await apply_batch(
            conn, [through_kafka(tenant, CreateEvent(event_id=event_id, event=event))]
        )
        for step in history:
            command = command_for(event_id, start, step)
            assert command is not None
            (outcome,) = await apply_batch(conn, [through_kafka(tenant, command)])
            assert outcome.status == "updated", outcome
        rows = await outbox_rows(conn, event_id)
        assert [r["change"] for r in rows] == [
            "created", "updated", "updated", "updated", "status_changed", "cancelled",
        ]  # fmt: skip
        assert rows[-1]["previous_status"] == "draft"
        assert len(decode_change(change_record(rows[3])).event.occurrenceOverrides) == 2
        for row in rows:
            assert_same_meaning(row)
    finally:
        await transaction.rollback()
