"""After a fatal sequence error the producer replaces itself; the failing send still fails.
A batch of records travels as one record batch per partition, each record answered by its
batch's fate."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
)

from shared.adapters.kafka import Producer
from shared.adapters.partitioner import partition_for
from shared.core.metrics import PRODUCER_RENEWALS
from tests.unit.fake_kafka import FakeKafka


def renewals() -> float:
    return float(PRODUCER_RENEWALS.labels("OutOfOrderSequenceNumber")._value.get())


def refusing_all() -> FakeKafka:
    return FakeKafka(refuses=lambda key, value: True, failure=OutOfOrderSequenceNumber())


def refusing(marked: bytes) -> FakeKafka:
    return FakeKafka(refuses=lambda key, value: value == marked, failure=OutOfOrderSequenceNumber())


async def test_a_fatal_sequence_error_swaps_in_a_fresh_producer() -> None:
    made = [refusing_all(), FakeKafka()]
    producer = Producer(lambda: made.pop(0))  # type: ignore[arg-type, return-value]
    first = producer._current
    await producer.start()
    before = renewals()
    with pytest.raises(OutOfOrderSequenceNumber):
        await producer.send_and_wait("t", b"v")
    await producer.send_and_wait("t", b"v")
    fresh = producer._current
    assert fresh is not first
    assert (fresh.started, fresh.sent) == (True, [(None, b"v")])  # type: ignore[attr-defined]
    await asyncio.sleep(0)  # the broken one is stopped in the background
    assert first.stopped  # type: ignore[attr-defined]
    assert renewals() == before + 1


@pytest.mark.parametrize("error", [KafkaTimeoutError, MessageSizeTooLargeError])
async def test_other_errors_keep_the_producer(error: type[KafkaError]) -> None:
    made = [FakeKafka(refuses=lambda key, value: True, failure=error())]
    producer = Producer(lambda: made.pop(0))  # type: ignore[arg-type, return-value]
    first = producer._current
    with pytest.raises(error):
        await producer.send_and_wait("t", b"v")
    assert producer._current is first


async def test_a_batch_answers_each_record_by_its_partition_and_renews_after_a_fatal_answer() -> (
    None
):
    made = [refusing(b"refused"), FakeKafka()]
    producer = Producer(lambda: made.pop(0))  # type: ignore[arg-type, return-value]
    first = producer._current
    before = renewals()
    key = b"event-1"
    elsewhere = next(
        k for k in (b"event-2", b"event-3", b"event-4") if _partition(k) != _partition(key)
    )
    answers = await producer.send_many(
        "t", [(b"ok", key, None), (b"refused", key, None), (b"ok", elsewhere, None)]
    )
    assert answers[0] is answers[1]  # one partition, one batch, one answer
    assert isinstance(answers[1], OutOfOrderSequenceNumber)
    assert answers[2] is None
    assert first.sent == [(elsewhere, b"ok")]  # type: ignore[attr-defined]
    assert producer._current is not first
    assert renewals() == before + 1
    assert await producer.send_many("t", [(b"ok", None, None)]) == [None]


async def test_a_full_batch_goes_on_in_another_and_an_oversized_record_is_refused_alone() -> None:
    kafka = FakeKafka(refuses=lambda key, value: value == b"refused", batch_room=3)
    producer = Producer(lambda: kafka, max_request_bytes=200)  # type: ignore[arg-type, return-value]
    key = b"event-1"
    messages = [(f"ok {n}".encode(), key, None) for n in range(5)]
    messages += [(b"x" * 200, key, None), (b"refused", key, None)]
    answers = await producer.send_many("t", messages)
    assert answers[:3] == [None] * 3  # the first batch of three
    assert isinstance(answers[5], MessageSizeTooLargeError)
    assert answers[3] is answers[4] is answers[6]  # the second batch, refused whole
    assert answers[3] is kafka.failure
    assert kafka.sent == [(key, b"ok 0"), (key, b"ok 1"), (key, b"ok 2")]
    assert producer._current is kafka  # neither answer is a fatal sequence error


async def test_partitions_wait_for_their_previous_batches_side_by_side() -> None:
    kafka = FakeKafka()
    kafka.hold = asyncio.Event()
    producer = Producer(lambda: kafka)  # type: ignore[arg-type, return-value]
    keys = [f"event-{n}".encode() for n in range(30)]
    assert {_partition(k) for k in keys} == {0, 1, 2}
    sending = asyncio.create_task(producer.send_many("t", [(b"v", k, None) for k in keys]))
    for _ in range(100):
        await asyncio.sleep(0)
    assert kafka.queueing == 3  # every partition waiting at once, not one after another
    kafka.hold.set()
    assert await sending == [None] * len(keys)


def _partition(key: bytes) -> int:
    return partition_for(key, [0, 1, 2], [0, 1, 2])
