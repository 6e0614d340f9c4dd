"""The publisher mid-backlog: SIGKILLed and restarted, or joined by a second replica, every
accepted event is stored once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer

from devstack.stack import TEST, Servers, ServiceProcess, shifted
from shared.contracts.messages import CreateEvent, IngestEnvelope, derive_event_id, encode
from shared.contracts.topics import Topic
from shared.domain.events import parse_event
from tests.integration.conftest import Tenant, eventually, rows_of

BACKLOG = 2000  # large enough that the publisher is still draining when stopped
JOIN_BACKLOG = 20_000  # with 5-command batches, still draining when a replica has joined


async def test_publisher_sigkill_mid_backlog_loses_and_duplicates_nothing(
    stack: Servers,
    tenant: Tenant,
    db: asyncpg.Pool,
    services: dict[str, ServiceProcess],
) -> None:
    publisher = services["publisher"]
    publisher.stop()  # leaves the group, so the restart below need not wait out its session
    accepted = await produce_backlog(stack, tenant, BACKLOG)

    publisher.start(wait=False)
    stored_at_kill = await eventually(lambda: rows_of(db, tenant), within=60, interval=0.01)
    publisher.kill()  # SIGKILL: no commit, no goodbye
    assert stored_at_kill < BACKLOG, "backlog drained before the kill; the test proved nothing"

    await asyncio.to_thread(publisher.start)
    await eventually(lambda: _all_stored(db, tenant), within=90)
    assert await _stored_ids(db, tenant) == sorted(accepted)  # each once, none missing


async def test_a_publisher_joining_mid_backlog_takes_partitions_without_a_crash(
    stack: Servers,
    tenant: Tenant,
    db: asyncpg.Pool,
    services: dict[str, ServiceProcess],
) -> None:
    publisher = services["publisher"]
    publisher.stop()
    accepted = await produce_backlog(stack, tenant, JOIN_BACKLOG)
    # Small batches drain slowly enough that the backlog outlasts the replica's start.
    slow = {**publisher.env, "PUBLISHER_BATCH_MAX_RECORDS": "5"}
    logs = TEST.base_dir / "logs" / "join"
    first = ServiceProcess("publisher", publisher.port, slow, logs / "first")
    replica = ServiceProcess("publisher", shifted(18097), slow, logs / "replica")
    try:
        first.start(wait=False)
        await eventually(lambda: rows_of(db, tenant), within=60, interval=0.01)
        # The group rebalances while the first publisher drains; a partition it loses in the
        # middle of a batch is no longer its to commit (tests/unit/test_consumer_loop.py pins
        # that moment down; here it happens when it happens).
        await asyncio.to_thread(replica.start)  # returns once it is ready
        stored_at_join = await rows_of(db, tenant)
        await eventually(lambda: _all_stored(db, tenant, JOIN_BACKLOG), within=180)
        assert stored_at_join < JOIN_BACKLOG, "drained before the rebalance; proved nothing"
        for process in (first, replica):
            assert process.process is not None
            assert process.process.poll() is None, f"publisher on {process.port} exited"
    finally:
        replica.stop()
        first.stop()
        await asyncio.to_thread(publisher.start)
    assert await _stored_ids(db, tenant) == sorted(accepted)  # each once, none missing


async def produce_backlog(stack: Servers, tenant: Tenant, count: int) -> list[str]:
    """Commands written straight to the ingest topic, as gateways write respond-async ones:
    in about a second where the API would take tens of them on a busy box; the gateway's own
    part is proven elsewhere. Returns the event ids, one per command."""
    event = parse_event(tenant.event())
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        sent = []
        for index in range(count):
            key = f"join-{index}"
            envelope = IngestEnvelope(
                message_id=uuid.uuid4(),
                request_id=f"join-{index}",
                received_at=datetime.now(UTC),
                owner_id=tenant.account_id,
                idempotency_key=key,
                request_hash="join",
                command=CreateEvent(event_id=derive_event_id(tenant.account_id, key), event=event),
                awaited_until=None,
            )
            event_id = str(envelope.command.event_id)
            sent.append(await producer.send(Topic.INGEST, encode(envelope), key=event_id.encode()))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return [str(derive_event_id(tenant.account_id, f"join-{i}")) for i in range(count)]


async def _all_stored(db: asyncpg.Pool, tenant: Tenant, count: int = BACKLOG) -> bool:
    return await rows_of(db, tenant) >= count


async def _stored_ids(db: asyncpg.Pool, tenant: Tenant) -> list[str]:
    rows = await db.fetch(
        "SELECT id::text FROM events WHERE owner_account_id = $1", tenant.account_id
    )
    return sorted(r["id"] for r in rows)
