"""The scheduler killed mid-run neither skips nor doubles a reminder: the real process is
stopped abruptly (a failpoint right after the broker acknowledged a batch and before it was
marked sent, and a SIGKILL at whatever point it has reached), another one takes over, and
every reminder is in its person's inbox exactly once."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from devstack.stack import TEST, Servers, ServiceProcess, service_env, shifted
from shared.adapters.plans import sync_reminders
from shared.contracts.notifications import decode_reminder
from shared.contracts.topics import Topic
from tests.integration.conftest import Tenant, eventually
from tests.integration.discovery_support import future_start
from tests.integration.people_support import published_event, sign_up
from tests.integration.scheduling import write_clock

PORTS = (shifted(18087), shifted(18088))


@pytest.fixture
def own_schedulers(stack: Servers, tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    """Two scheduler processes of the test's own (started by the test), on one clock file."""
    made: list[ServiceProcess] = []

    def make(settings: dict[str, str]) -> ServiceProcess:
        env = service_env(stack, {"SCHEDULER_CLOCK_FILE": str(tmp_path / "clock"),
                                  "SCHEDULER_POLL_SECONDS": "0.1", **settings})  # fmt: skip
        process = ServiceProcess("scheduler", PORTS[len(made)], env, TEST.base_dir / "logs")
        made.append(process)
        return process

    yield make  # type: ignore[misc]
    for process in made:
        process.stop()


async def planned_by_many(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool,
    people: int,
) -> tuple[uuid.UUID, datetime, set[int]]:  # fmt: skip
    """An event `people` people saved (two reminders each: a day and an hour before)."""
    start_text = future_start(days=20, hour=18)
    event_id = uuid.UUID(await published_event(api, discovery, tenant, startAt=start_text))
    first = await sign_up(discovery, "Ada")
    assert (await discovery.put(f"/api/people/v1/me/saves/{event_id}",
                                headers=first.headers)).status_code == 200  # fmt: skip
    marker = uuid.uuid4().hex[:8]
    async with db.acquire() as conn, conn.transaction():
        ids = await conn.fetch(
            "INSERT INTO people (email, email_key, display_name, password_hash)"
            " SELECT 'p' || n || '-' || $1 || '@example.com', 'p' || n || '-' || $1"
            " || '@example.com', 'Person ' || n, 'not-a-hash' FROM generate_series(2, $2) n"
            " RETURNING id",
            marker, people,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO saves (person_id, event_id) SELECT unnest($1::bigint[]), $2",
            [row["id"] for row in ids], event_id,
        )  # fmt: skip
        await sync_reminders(conn, None, event_id)
    return event_id, datetime.fromisoformat(start_text), {first.id, *(r["id"] for r in ids)}


async def inbox_reminders(db: asyncpg.Pool, event_id: uuid.UUID) -> Counter[tuple[int, int]]:
    rows = await db.fetch(
        "SELECT person_id, (data->>'minutesBefore')::int AS minutes FROM notifications"
        " WHERE event_id = $1 AND kind = 'reminder'",
        event_id,
    )
    return Counter((row["person_id"], row["minutes"]) for row in rows)


async def all_delivered_once(db: asyncpg.Pool, event_id: uuid.UUID, people: set[int]) -> None:
    expected = {(person, minutes) for person in people for minutes in (1440, 60)}

    async def complete() -> bool:
        return set(await inbox_reminders(db, event_id)) == expected

    await eventually(complete, within=60)
    counts = await inbox_reminders(db, event_id)
    assert set(counts.values()) == {1}, "a reminder was stored twice"
    pending = await db.fetchval(
        "SELECT count(*) FROM reminders WHERE event_id = $1 AND state <> 'sent'", event_id
    )
    assert pending == 0


async def topic_records(stack: Servers, event_id: uuid.UUID) -> list[uuid.UUID]:
    """Every reminder record of the event on the notifications topic, duplicates included,
    read from the beginning to the end offsets as they were when it started reading."""
    consumer = AIOKafkaConsumer(
        Topic.NOTIFICATIONS,
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[uuid.UUID] = []
    ends: dict[TopicPartition, int] = {}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found += [
                    reminder.notification_id
                    for reminder in map(decode_reminder, (r.value for r in records))
                    if reminder.event_id == event_id
                ]
            assigned = consumer.assignment()
            if assigned and not ends:
                ends = await consumer.end_offsets(list(assigned))
            if ends and all([await consumer.position(tp) >= ends[tp] for tp in ends]):
                return found
        raise AssertionError("the notifications topic was not read to its end within 30 s")
    finally:
        await consumer.stop()


async def test_a_crash_after_the_send_and_before_the_commit_sends_the_batch_again_harmlessly(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool,
    stack: Servers, own_schedulers: Any, tmp_path: Path,
) -> None:  # fmt: skip
    event_id, start, people = await planned_by_many(api, discovery, tenant, db, people=40)
    await asyncio.to_thread(write_clock, tmp_path / "clock", start - timedelta(minutes=30))
    crashing = own_schedulers({"SCHEDULER_BATCH_SIZE": "10", "SCHEDULER_CRASH_AT": "after_send:3"})
    crashing.start(wait=False)
    assert crashing.process is not None
    assert await asyncio.to_thread(crashing.process.wait, 60) == 137
    sent = await db.fetchval(
        "SELECT count(*) FROM reminders WHERE event_id = $1 AND state = 'sent'", event_id
    )
    assert sent == 20, "two batches committed; the third was sent, not marked"

    own_schedulers({"SCHEDULER_BATCH_SIZE": "10"}).start()
    await all_delivered_once(db, event_id, people)
    records = await topic_records(stack, event_id)
    assert len(set(records)) == 80
    assert len(records) == 90, "the third batch went to the topic twice, and counted once"


async def test_a_scheduler_killed_at_any_point_is_taken_over_without_loss_or_doubles(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool,
    own_schedulers: Any, tmp_path: Path,
) -> None:  # fmt: skip
    event_id, start, people = await planned_by_many(api, discovery, tenant, db, people=150)
    await asyncio.to_thread(write_clock, tmp_path / "clock", start - timedelta(minutes=30))
    first = own_schedulers({"SCHEDULER_BATCH_SIZE": "1"})
    first.start()

    async def under_way() -> bool:
        sent = await db.fetchval(
            "SELECT count(*) FROM reminders WHERE event_id = $1 AND state = 'sent'", event_id
        )
        return bool(sent >= 30)

    await eventually(under_way, within=60, interval=0.01)
    assert first.process is not None
    first.process.send_signal(signal.SIGKILL)
    await asyncio.to_thread(first.process.wait, 10)
    sent = await db.fetchval(
        "SELECT count(*) FROM reminders WHERE event_id = $1 AND state = 'sent'", event_id
    )
    assert sent < 300, "killed mid-run"
    own_schedulers({"SCHEDULER_BATCH_SIZE": "50"}).start()
    await all_delivered_once(db, event_id, people)
