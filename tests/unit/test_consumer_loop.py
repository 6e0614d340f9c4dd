"""The consumer loop's two failure kinds, with in-memory fakes of the Kafka clients."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError

from shared.contracts.messages import PoisonMessage
from shared.runtime.consumer_loop import ConsumerLoop, Decoded, LoopSettings, PoisonFlood

TP = TopicPartition("pinned.ingest.v1", 0)


def record(offset: int, value: bytes, partition: int = 0) -> ConsumerRecord:
    return ConsumerRecord("pinned.ingest.v1", partition, offset, 0, 0, b"k", value, None, 0, 0, [])


class FakeConsumer:
    """Hands out the given batches once each, then stops the loop; records commits."""

    def __init__(self, batches: list[list[ConsumerRecord]]) -> None:
        self.batches = batches
        self.commits: list[dict[TopicPartition, int]] = []
        self.loop: ConsumerLoop[Any] | None = None
        self.assigned = {TP}

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        if not self.batches:
            assert self.loop is not None
            self.loop.stop()
            return {}
        return {TP: self.batches.pop(0)}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not set(offsets) <= self.assigned:  # as aiokafka does
            raise IllegalStateError("Partition is not assigned")
        self.commits.append(offsets)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def subscription(self) -> frozenset[str]:
        return frozenset({TP.topic})

    def highwater(self, tp: TopicPartition) -> int | None:
        return None


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, list[tuple[str, bytes]]]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes, headers: Any) -> None:
        self.sent.append((topic, value, headers))


def decode(rec: ConsumerRecord) -> bytes:
    if rec.value.startswith(b"bad"):
        raise PoisonMessage("not an envelope")
    return bytes(rec.value)


def make_loop(
    batches: list[list[ConsumerRecord]],
    apply: Any,
    limit: int = 3,
    commit_interval: float = 0.0,
    clock: Any = time.monotonic,
) -> tuple[ConsumerLoop[bytes], FakeConsumer, FakeProducer]:
    consumer, producer = FakeConsumer(batches), FakeProducer()
    settings = LoopSettings(
        group="test",
        poison_run_limit=limit,
        backoff_initial_seconds=0.001,
        commit_interval_seconds=commit_interval,
    )
    loop = ConsumerLoop(consumer, producer, decode, apply, settings, clock)  # type: ignore[arg-type]
    consumer.loop = loop
    return loop, consumer, producer


async def test_poison_is_dead_lettered_with_origin_and_the_rest_applies() -> None:
    applied: list[bytes] = []

    async def apply(batch: Sequence[Decoded[bytes]]) -> None:
        applied.extend(item.message for item in batch)

    loop, consumer, producer = make_loop(
        [[record(0, b"ok-1"), record(1, b"bad"), record(2, b"ok-2")]], apply
    )
    await loop.run()
    assert applied == [b"ok-1", b"ok-2"]
    topic, value, headers = producer.sent[0]
    assert (topic, value) == ("pinned.dlq.v1", b"bad")
    assert dict(headers)["dlq-origin-offset"] == b"1"
    assert consumer.commits == [{TP: 3}]


async def test_a_flood_of_poison_stops_the_loop_without_committing() -> None:
    async def apply(batch: Sequence[Decoded[bytes]]) -> None:
        raise AssertionError("nothing decodable should be applied")

    flood = [record(i, b"bad") for i in range(10)]
    loop, consumer, producer = make_loop([flood], apply, limit=3)
    with pytest.raises(PoisonFlood):
        await loop.run()
    assert len(producer.sent) == 3
    assert consumer.commits == []


async def test_transient_failures_are_retried_never_dead_lettered() -> None:
    attempts: list[int] = []

    async def apply(batch: Sequence[Decoded[bytes]]) -> None:
        attempts.append(len(batch))
        if len(attempts) < 3:
            raise OSError("database restarting")

    loop, consumer, producer = make_loop([[record(0, b"ok")]], apply)
    await loop.run()
    assert attempts == [1, 1, 1]
    assert producer.sent == []
    assert consumer.commits == [{TP: 1}]


async def test_a_partition_that_moved_away_mid_batch_is_not_committed() -> None:
    # A replica joined while the batch was applied: partition 1 is now another consumer's.
    applied: list[bytes] = []

    async def apply(batch: Sequence[Decoded[bytes]]) -> None:
        applied.extend(item.message for item in batch)

    mixed = [record(0, b"a"), record(0, b"b", partition=1), record(1, b"c")]
    loop, consumer, _ = make_loop([mixed, [record(2, b"d")]], apply)
    await loop.run()  # a commit of partition 1 would raise and kill the loop
    assert applied == [b"a", b"b", b"c", b"d"]
    assert consumer.commits == [{TP: 2}, {TP: 3}]


async def ignore(batch: Sequence[Decoded[bytes]]) -> None:
    pass


async def test_offsets_wait_for_the_commit_interval_and_are_committed_at_stop() -> None:
    batches = [[record(0, b"a"), record(1, b"b")], [record(2, b"c")], [record(3, b"d")]]
    loop, consumer, _ = make_loop(batches, ignore, commit_interval=60.0)
    await loop.run()
    assert consumer.commits == [{TP: 4}]  # one commit, of the last applied offset


async def test_an_empty_fetch_commits_what_was_applied() -> None:
    # The topic went quiet: what was applied is committed now, not an interval later.
    batches = [[record(0, b"a")], [], [record(1, b"b")], [record(2, b"c")]]
    loop, consumer, _ = make_loop(batches, ignore, commit_interval=60.0)
    await loop.run()
    assert consumer.commits == [{TP: 1}, {TP: 3}]


async def test_a_commit_is_due_once_the_interval_has_passed() -> None:
    now = [0.0]

    async def apply(batch: Sequence[Decoded[bytes]]) -> None:
        now[0] += 0.08  # each batch takes 80 ms of the clock

    batches = [[record(offset, b"x")] for offset in range(5)]
    loop, consumer, _ = make_loop(batches, apply, commit_interval=0.2, clock=lambda: now[0])
    await loop.run()
    # Due after the third batch (240 ms), then the last two wait for the stop.
    assert consumer.commits == [{TP: 3}, {TP: 5}]


async def test_offsets_of_a_partition_that_moved_away_while_waiting_are_dropped() -> None:
    other = TopicPartition("pinned.ingest.v1", 1)
    consumer_batches = [[record(0, b"a"), record(0, b"b", partition=1)], [record(1, b"c")]]
    loop, consumer, _ = make_loop(consumer_batches, ignore, commit_interval=60.0)
    consumer.assigned = {TP, other}

    async def apply(batch: Sequence[Decoded[bytes]]) -> None:
        consumer.assigned = {TP}  # a rebalance takes partition 1 away before the commit

    loop._apply = apply  # type: ignore[assignment]
    await loop.run()
    assert consumer.commits == [{TP: 2}]
