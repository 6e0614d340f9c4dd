"""The notifier stores the planning rows of events it has never seen together, and still
applies every other change one by one: an event changed twice in the batch, an event
planning already holds (newer or older), and a former series whose planned occurrence
becomes the single event. Each runs inside a transaction that is rolled back."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.notifier.changes import FIRST_SEEN_SQL, apply_changes
from shared.contracts.changes import ChangeKind, EventChange
from shared.contracts.event_view import EventView
from shared.domain.recurrence import occurrence_key
from tests.examples import docs_example
from tests.integration.plan_support import plan_reads

START = datetime(2031, 5, 6, 19, 0, tzinfo=UTC)  # 21:00 in Berlin, the row's local day


async def _channel(conn: asyncpg.Connection) -> int:
    account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('notifier') RETURNING id")
    return int(await conn.fetchval(
        "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'notifier') RETURNING id",
        account,
    ))  # fmt: skip


def _change(
    event_id: uuid.UUID,
    version: int,
    channel_id: int,
    change: ChangeKind = "updated",
    **fields: Any,
) -> EventChange:
    body = docs_example(channel_id, startAt=START.isoformat(), timezone="Europe/Berlin")
    body |= fields
    view = EventView.model_validate(
        {**body, "id": str(event_id), "status": "published", "createdAt": START,
         "updatedAt": START + timedelta(seconds=version)}
    )  # fmt: skip
    return EventChange(
        change_id=version, event_id=event_id, version=version, change=change,
        changed_at=START, owner_id=1, event=view,
    )  # fmt: skip


async def _held(conn: asyncpg.Connection, channel_id: int, event_id: uuid.UUID, version: int,
                series_id: uuid.UUID | None = None) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, "
        "timezone, series_id, recurrence_id) VALUES ($1, $2, 'published', $3, 'Held', "
        "$4::timestamptz, 'Europe/Berlin', $5, CASE WHEN $5::uuid IS NOT NULL THEN $4 END)",
        event_id, version, channel_id, START - timedelta(hours=1), series_id,
    )  # fmt: skip


async def _rows(conn: asyncpg.Connection, channel_id: int) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM plan_events WHERE channel_id = $1", channel_id)
    return {row["event_id"]: row for row in rows}


async def test_new_events_are_stored_together_and_the_rest_one_by_one(
    rolled_back: asyncpg.Connection,
) -> None:
    conn = rolled_back
    channel = await _channel(conn)
    new, twice, known, newer, former_series = (uuid.uuid4() for _ in range(5))
    occurrence = occurrence_key(former_series, date(2031, 5, 6))
    await _held(conn, channel, known, 1)
    await _held(conn, channel, newer, 3)
    await _held(conn, channel, occurrence, 1, series_id=former_series)
    batch = [
        _change(new, 1, channel, "created", capacity=40, title="New"),
        _change(twice, 2, channel, title="Second"),
        _change(twice, 1, channel, "created", title="First"),
        _change(known, 2, channel, title="Known"),
        _change(newer, 2, channel, title="Older than held"),
        _change(former_series, 2, channel, title="Single again"),
    ]

    outcome = await apply_changes(conn, batch)

    rows = await _rows(conn, channel)
    assert (rows[new]["version"], rows[new]["title"], rows[new]["capacity"]) == (1, "New", 40)
    assert rows[new]["start_at"] == START
    assert (rows[twice]["version"], rows[twice]["title"]) == (2, "Second")
    assert (rows[known]["version"], rows[known]["title"], rows[known]["start_at"]) == (
        2, "Known", START)  # fmt: skip
    assert (rows[newer]["version"], rows[newer]["title"]) == (3, "Held")
    # The occurrence people planned is the single event now: its row moved, not a new one.
    assert occurrence not in rows
    assert (rows[former_series]["version"], rows[former_series]["status"]) == (2, "published")
    assert (outcome.applied, outcome.older, outcome.notices) == (5, 1, [])


async def test_a_seen_event_is_not_stored_again_by_a_later_batch(
    rolled_back: asyncpg.Connection,
) -> None:
    conn = rolled_back
    channel = await _channel(conn)
    event = uuid.uuid4()
    await apply_changes(conn, [_change(event, 1, channel, "created", title="First")])
    again = await apply_changes(conn, [_change(event, 1, channel, "created", title="Replayed")])
    later = await apply_changes(conn, [_change(event, 2, channel, title="Updated")])
    assert (again.applied, again.older) == (0, 1)
    assert (later.applied, later.older) == (1, 0)
    assert (await _rows(conn, channel))[event]["title"] == "Updated"


async def test_first_seen_events_look_series_up_by_key_under_a_generic_plan(
    rolled_back: asyncpg.Connection,
) -> None:
    """20,000 planned occurrences, analysed: a batch of 500 new events still looks each up in
    plan_events_series rather than hashing the whole table."""
    conn = rolled_back
    channel = await _channel(conn)
    await conn.execute(
        "INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, "
        "timezone, series_id, recurrence_id) SELECT gen_random_uuid(), 1, 'published', $1, "
        "'Occurrence', $2, 'UTC', gen_random_uuid(), $2 FROM generate_series(1, 20000)",
        channel, START,
    )  # fmt: skip
    await conn.execute("ANALYZE plan_events")
    await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    count = 500
    args = (
        [uuid.uuid4() for _ in range(count)], [1] * count, ["published"] * count,
        [channel] * count, ["New"] * count, [START] * count, [None] * count, ["UTC"] * count,
        [None] * count,
    )  # fmt: skip
    plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {FIRST_SEEN_SQL}", *args))
    reads = [n for n in plan_reads(plan, "plan_events") if n["Node Type"] != "ModifyTable"]
    assert reads, json.dumps(plan)[:2000]
    assert all("Index" in n["Node Type"] for n in reads), json.dumps(plan, indent=1)[:3000]
    assert len(await conn.fetch(FIRST_SEEN_SQL, *args)) == count
