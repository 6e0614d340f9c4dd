"""An in-memory stand-in for the part of AIOKafkaProducer that `Producer` uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka.errors import KafkaError


class FakeBatch:
    """aiokafka's BatchBuilder as `Producer.send_many` fills it: room for `room` records."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.records: list[tuple[bytes | None, bytes]] = []

    def append(
        self, *, timestamp: int | None, key: bytes | None, value: bytes, headers: object
    ) -> object | None:
        """Metadata of the record added, None when full (as BatchBuilder.append)."""
        if len(self.records) == self.room:
            return None
        self.records.append((key, value))
        return object()


class FakeKafka:
    """A producer whose brokers hold `partitions` partitions. A send, or a batch, holding a
    record that `refuses(key, value)` picks is refused whole with `failure`; every record
    accepted is in `sent` (key, value), in the order accepted."""

    def __init__(
        self,
        refuses: Callable[[bytes | None, bytes], bool] = lambda key, value: False,
        failure: KafkaError | None = None,
        partitions: int = 3,
        batch_room: int = 500,
    ) -> None:
        self.refuses, self.failure = refuses, failure or KafkaError()
        self.partitions, self.batch_room = partitions, batch_room
        self.started = self.stopped = False
        self.sent: list[tuple[bytes | None, bytes]] = []
        # When set: each send_batch waits for it, as aiokafka's waits for the partition's
        # previous batch to leave; `queueing` counts the batches waiting.
        self.hold: asyncio.Event | None = None
        self.queueing = 0

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self.partitions))

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes | None = None, **_: object
    ) -> None:
        if self.refuses(key, value):
            raise self.failure
        self.sent.append((key, value))

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_room)

    async def send_batch(
        self, batch: FakeBatch, topic: str, *, partition: int
    ) -> asyncio.Future[None]:
        """Enqueued now; the broker's answer for the whole batch comes by the future."""
        assert partition in range(self.partitions)
        if self.hold is not None:
            self.queueing += 1
            await self.hold.wait()
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if any(self.refuses(key, value) for key, value in batch.records):
            delivery.set_exception(self.failure)
        else:
            self.sent.extend(batch.records)
            delivery.set_result(None)
        return delivery
