"""After a fatal sequence error the producer replaces itself; the failing send still fails."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, OutOfOrderSequenceNumber

from shared.adapters.kafka import Producer
from shared.core.metrics import PRODUCER_RENEWALS


class FakeProducer:
    def __init__(self, failure: Exception | None) -> None:
        self.failure, self.started, self.stopped, self.sent = failure, False, False, 0

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send_and_wait(self, topic: str, value: bytes, **_: Any) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent += 1

    async def send(self, topic: str, value: bytes, **_: Any) -> asyncio.Future[None]:
        """Like aiokafka: enqueue now, learn the broker's answer from the future."""
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if value == b"refused" and self.failure is not None:
            delivery.set_exception(self.failure)
        else:
            self.sent += 1
            delivery.set_result(None)
        return delivery


def renewals() -> float:
    return PRODUCER_RENEWALS.labels("OutOfOrderSequenceNumber")._value.get()


async def test_a_fatal_sequence_error_swaps_in_a_fresh_producer() -> None:
    made = [FakeProducer(OutOfOrderSequenceNumber()), FakeProducer(None)]
    producer = Producer(lambda: made.pop(0))  # type: ignore[arg-type, return-value]
    first = producer._current
    await producer.start()
    before = renewals()
    with pytest.raises(OutOfOrderSequenceNumber):
        await producer.send_and_wait("t", b"v")
    await producer.send_and_wait("t", b"v")
    fresh = producer._current
    assert fresh is not first
    assert (fresh.started, fresh.sent) == (True, 1)
    await asyncio.sleep(0)  # the broken one is stopped in the background
    assert first.stopped
    assert renewals() == before + 1


async def test_transient_errors_keep_the_producer() -> None:
    made = [FakeProducer(KafkaTimeoutError())]
    producer = Producer(lambda: made.pop(0))  # type: ignore[arg-type, return-value]
    first = producer._current
    with pytest.raises(KafkaTimeoutError):
        await producer.send_and_wait("t", b"v")
    assert producer._current is first


async def test_a_batch_reports_each_record_and_renews_after_a_fatal_answer() -> None:
    made = [FakeProducer(OutOfOrderSequenceNumber()), FakeProducer(None)]
    producer = Producer(lambda: made.pop(0))  # type: ignore[arg-type, return-value]
    first = producer._current
    before = renewals()
    answers = await producer.send_many("t", [(b"ok", None, None), (b"refused", None, None)])
    assert answers[0] is None
    assert isinstance(answers[1], OutOfOrderSequenceNumber)
    assert producer._current is not first
    assert renewals() == before + 1
    assert await producer.send_many("t", [(b"ok", None, None)]) == [None]
