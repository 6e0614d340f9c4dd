"""The faults, each injected under load and then undone; and what each one checks beyond the
ledger (503 with Retry-After while Kafka is down, no dead letters from a database restart,
consumers that recover without a process restart, poison routed with its origin)."""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from chaos.cluster import Cluster
from chaos.ledger import Ledger
from chaos.stack import ChaosStack
from shared.contracts.topics import Topic

SESSION_TIMEOUT_SECONDS = 10  # aiokafka's default session.timeout.ms


@dataclass
class Context:
    stack: ChaosStack
    ledger: Ledger
    cluster: Cluster | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


Fault = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    audit: bool = False
    on_cluster: bool = False  # runs against the three-broker cluster's own services


async def _thread(action: Callable[[], object]) -> None:
    await asyncio.to_thread(action)


async def gateway_sigkill(ctx: Context) -> None:
    ctx.stack.kill_service("gateway")
    await asyncio.sleep(1)
    await _thread(lambda: ctx.stack.restart_service("gateway"))


async def publisher_sigkill(ctx: Context) -> None:
    """Three kills at random moments of a stream of 50-command batches: some land before a
    batch's commit, some after it and before the offsets are committed."""
    for _ in range(3):
        await asyncio.sleep(random.uniform(0.3, 1.5))  # noqa: S311
        ctx.stack.kill_service("publisher")
        await _thread(lambda: ctx.stack.restart_service("publisher"))


def _publisher_dies(moment: str) -> Fault:
    """Restart the publisher with a failpoint that kills it at `moment` of its 3rd batch,
    then start it normally: the batch is redone, and deduplicated where it had committed."""

    async def fault(ctx: Context) -> None:
        ctx.stack.kill_service("publisher")
        await asyncio.to_thread(
            ctx.stack.restart_service, "publisher", {"PUBLISHER_CRASH_AT": f"{moment}:3"}
        )
        process = ctx.stack.services["publisher"].process
        assert process is not None
        for _ in range(120):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.25)
        if process.poll() != 137:
            ctx.problems.append(f"the publisher did not die at its failpoint ({moment})")
            ctx.stack.kill_service("publisher")
        else:
            ctx.notes.append(f"the publisher died {moment.replace('_', ' ')} of its 3rd batch")
        await _thread(lambda: ctx.stack.restart_service("publisher"))

    return fault


async def auditor_sigkill(ctx: Context) -> None:
    ctx.stack.kill_service("auditor")
    await asyncio.sleep(2)
    await _thread(lambda: ctx.stack.restart_service("auditor"))


def _kafka_outage(clean: bool) -> Fault:
    async def fault(ctx: Context) -> None:
        await _thread(lambda: ctx.stack.kill_kafka(clean))
        await asyncio.sleep(6)
        await _thread(ctx.stack.start_kafka)
        during = ctx.ledger.statuses_during_fault
        refused = [retry for status, retry in during if status == 503]
        if not refused:
            ctx.problems.append("no 503 while Kafka was down")
        elif not all(retry and int(retry) > 0 for retry in refused):
            ctx.problems.append("a 503 without Retry-After")
        ctx.notes.append(f"{len(refused)} answers were 503 + Retry-After while Kafka was down")

    return fault


async def postgres_immediate(ctx: Context) -> None:
    pids = {name: ctx.stack.service_pid(name) for name in ("gateway", "publisher", "auditor")}
    dead_letters = await _dead_letter_count(ctx.stack)
    await _thread(ctx.stack.stop_postgres_immediately)
    await asyncio.sleep(3)
    await _thread(ctx.stack.start_postgres)
    ctx.notes.append("consumers retried until PostgreSQL was back")
    await _await_recovery_pids(ctx, pids)
    if await _dead_letter_count(ctx.stack) != dead_letters:
        ctx.problems.append("a database restart sent commands to the dead-letter topic")


async def rebalance(ctx: Context) -> None:
    pid = ctx.stack.service_pid("publisher")
    extra = ctx.stack.extra_publisher()
    await _thread(extra.start)
    await asyncio.sleep(6)
    if extra.process is None or extra.process.poll() is not None:
        ctx.problems.append("the joining publisher exited")
    await _thread(extra.stop)
    # Losing partitions mid-batch must not cost the first publisher its life.
    await _await_recovery_pids(ctx, {"publisher": pid})
    ctx.notes.append("a second publisher joined for 6 s, then left; both stayed up")


async def publisher_sigstop(ctx: Context) -> None:
    pid = ctx.stack.service_pid("publisher")
    ctx.stack.signal_service("publisher", signal.SIGSTOP)
    await asyncio.sleep(SESSION_TIMEOUT_SECONDS + 5)
    ctx.stack.signal_service("publisher", signal.SIGCONT)
    await _await_recovery_pids(ctx, {"publisher": pid})
    ctx.notes.append(f"paused {SESSION_TIMEOUT_SECONDS + 5} s, past its session timeout")


async def poison(ctx: Context) -> None:
    before = await _dead_letter_count(ctx.stack)
    producer = AIOKafkaProducer(bootstrap_servers=ctx.stack.kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(
                Topic.INGEST, f"not json {n}".encode(), key=uuid.uuid4().bytes
            )
    finally:
        await producer.stop()
    routed = 0
    for _ in range(120):  # up to a minute
        routed = await _dead_letter_count(ctx.stack) - before
        if routed >= 5:
            break
        await asyncio.sleep(0.5)
    ctx.notes.append(f"{routed} of 5 poison messages dead-lettered with their origin")
    if routed != 5:
        ctx.problems.append(f"{routed} of 5 poison messages reached the dead-letter topic")


async def cluster_leader_sigkill(ctx: Context) -> None:
    cluster = ctx.cluster
    assert cluster is not None
    leader = await cluster.leader_of(Topic.INGEST, 0)
    await _thread(lambda: cluster.kill_node(leader))
    await asyncio.sleep(6)
    await _thread(lambda: cluster.start_node(leader))
    ctx.notes.append(f"broker {leader}, leader of {Topic.INGEST}-0, was SIGKILLed for 6 s")


async def _await_recovery_pids(ctx: Context, pids: dict[str, int]) -> None:
    """The same processes must carry on: recovery without a restart."""
    await asyncio.sleep(2)
    for name, pid in pids.items():
        process = ctx.stack.services[name].process
        if process is None or process.poll() is not None or process.pid != pid:
            ctx.problems.append(f"{name} exited instead of recovering by itself")
            await asyncio.to_thread(ctx.stack.restart_service, name)


async def _dead_letter_count(stack: ChaosStack) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = await consumer._client.fetch_all_metadata()  # as shared/lag.py does
        tps = [
            TopicPartition(Topic.DEAD_LETTER, p)
            for p in partitions.partitions_for_topic(Topic.DEAD_LETTER) or set()
        ]
        ends = await consumer.end_offsets(tps)
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


FLOOD_LIMIT = 20  # PUBLISHER_POISON_RUN_LIMIT in chaos/stack.py


async def poison_flood(stack: ChaosStack) -> tuple[int, int | None]:
    """More poison in a row than the limit: the publisher must stop (exit non-zero, for a
    supervisor and a person to look) after dead-lettering `FLOOD_LIMIT`, not drain the topic
    into the DLQ. Runs last: the poison stays in the topic, as it would in production."""
    before = await _dead_letter_count(stack)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka.bootstrap, acks="all")
    await producer.start()
    try:
        # One key: all on one partition, so the run of poison is unbroken.
        for n in range(FLOOD_LIMIT + 10):
            await producer.send_and_wait(Topic.INGEST, f"garbage {n}".encode(), key=b"flood")
    finally:
        await producer.stop()
    process = stack.services["publisher"].process
    assert process is not None
    for _ in range(240):
        if process.poll() is not None:
            break
        await asyncio.sleep(0.25)
    return await _dead_letter_count(stack) - before, process.poll()


async def backlog_for_a_new_group(stack: ChaosStack) -> tuple[int, int]:
    """A consumer group that never ran reads the ingest topic from the start: all of it."""
    consumer = AIOKafkaConsumer(
        Topic.INGEST,
        bootstrap_servers=stack.kafka.bootstrap,
        group_id=f"chaos-new-group-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=500)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        expected = int(sum(ends.values()))
        await consumer.seek_to_beginning()
        read = 0
        deadline = time.monotonic() + 120
        while read < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            read += sum(len(records) for records in batches.values())
        return read, expected
    finally:
        await consumer.stop()


SCENARIOS = (
    Scenario("gateway SIGKILL + restart", gateway_sigkill),
    Scenario("publisher SIGKILL x3 mid-batch", publisher_sigkill),
    Scenario("publisher dies just before a DB commit", _publisher_dies("before_commit")),
    Scenario("publisher dies just after a DB commit", _publisher_dies("after_commit")),
    Scenario("auditor SIGKILL + restart", auditor_sigkill, audit=True),
    Scenario("Kafka broker SIGKILL, 6 s down", _kafka_outage(clean=False)),
    Scenario("Kafka broker clean restart", _kafka_outage(clean=True)),
    Scenario("PostgreSQL immediate restart", postgres_immediate),
    Scenario("rebalance: 2nd publisher joins, leaves", rebalance),
    Scenario("publisher SIGSTOP past session timeout", publisher_sigstop),
    Scenario("poison messages mid-load", poison),
    Scenario("3-broker cluster: partition leader SIGKILL", cluster_leader_sigkill, on_cluster=True),
)
