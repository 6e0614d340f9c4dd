"""What every consumer service opens before its loops run, and closes after they stop.

A consumer service (the publisher, the auditor, discovery's projector, the notifier) is a pool,
one producer (dead letters, and whatever else the service sends) and `settings.consumers`
consumers of one group. They are opened on an `AsyncExitStack`, so whatever did open is closed
again, in reverse order, when a later step fails or the service stops. Once they are open,
what start-up built is frozen out of the garbage collector's walks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer

from shared.adapters.kafka import Producer, create_worker_consumers
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.heap import freeze_startup_objects
from shared.core.settings import WorkerSettings
from shared.runtime.clients import open_pool_and_producer
from shared.runtime.consumer_loop import Applier, ConsumerLoop, Decoder, LoopSettings
from shared.runtime.ops_http import Check

T = TypeVar("T")


@dataclass(frozen=True)
class ConsumerService:
    """The open clients of a consumer service; `loops` puts its consumers to work."""

    name: str
    pool: asyncpg.Pool
    producer: Producer
    consumers: Sequence[AIOKafkaConsumer]
    loop_settings: LoopSettings

    def loops(self, decode: Decoder[T], apply: Applier[T]) -> list[ConsumerLoop[T]]:
        """One loop per consumer, each decoding with `decode` and applying with `apply`."""
        return [
            ConsumerLoop(consumer, self.producer, decode, apply, self.loop_settings)
            for consumer in self.consumers
        ]


@contextlib.asynccontextmanager
async def open_consumer_service(
    name: str,
    settings: WorkerSettings,
    group: ConsumerGroup,
    topics: Sequence[Topic],
    checks: dict[str, Check],
) -> AsyncIterator[ConsumerService]:
    """Open the pool, the producer and the consumers, and fill in the readiness `checks`."""
    client_id = f"{name}-{os.getpid()}"
    async with contextlib.AsyncExitStack() as stack:
        pool, producer = await open_pool_and_producer(
            stack, settings.database, settings.kafka, client_id, checks
        )
        consumers = create_worker_consumers(settings, group, topics, client_id)
        for consumer in consumers:
            await consumer.start()
            stack.push_async_callback(consumer.stop)
        loop_settings = LoopSettings(
            group=group,
            max_records=settings.batch_max_records,
            poison_run_limit=settings.poison_run_limit,
            commit_interval_seconds=settings.offset_commit_interval_ms / 1000,
        )
        freeze_startup_objects()
        yield ConsumerService(name, pool, producer, consumers, loop_settings)
