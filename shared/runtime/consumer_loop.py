"""The one consumer loop: fetch -> decode -> dead-letter poison -> apply -> commit.

Two failure kinds only. Poison (bytes no retry can apply) goes to the dead-letter topic
with its origin, and the loop moves on; a run of poison stops the consumer rather than
draining a topic into the DLQ. Anything else is either transient (database or broker
down: retried with backoff, offsets untouched) or a crash (the process exits and its
replacement restarts from the last commit). Offsets are committed only after `apply`
returned, that is after the database transaction committed, and at most every
`commit_interval_seconds` (as Kafka's own `auto.commit.interval.ms`): each commit is a request
to the group coordinator and a round trip the loop waits for. The offsets of applied batches
wait in memory until then, until a fetch comes back empty, or until the loop stops; a crash
or a rebalance in between replays them, and every apply is idempotent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared.adapters.failures import TRANSIENT_ERRORS
from shared.adapters.kafka import REQUEST_ID_HEADER, Producer, header
from shared.contracts.messages import PoisonMessage
from shared.contracts.topics import Topic
from shared.core.logging import flush_logs
from shared.core.metrics import (
    CONSUMER_BATCH_DURATION,
    CONSUMER_LAG,
    CONSUMER_TRANSIENT_FAILURES,
    DEAD_LETTERS,
)

log = structlog.get_logger(__name__)

T = TypeVar("T")


class PoisonFlood(RuntimeError):
    """Too many poison messages in a row: stop instead of draining the topic into the DLQ."""


@dataclass(frozen=True)
class Decoded(Generic[T]):
    record: ConsumerRecord
    message: T


@dataclass(frozen=True)
class LoopSettings:
    group: str
    max_records: int = 500
    fetch_timeout_ms: int = 500
    poison_run_limit: int = 100
    backoff_initial_seconds: float = 0.2
    backoff_max_seconds: float = 10.0
    commit_interval_seconds: float = 0.0


Decoder = Callable[[ConsumerRecord], T]
Applier = Callable[[Sequence[Decoded[T]]], Awaitable[None]]


class ConsumerLoop(Generic[T]):
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        dlq_producer: Producer,
        decode: Decoder[T],
        apply: Applier[T],
        settings: LoopSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer = consumer
        self._dlq = dlq_producer
        self._decode = decode
        self._apply = apply
        self._settings = settings
        self._poison_run = 0
        self._stopping = asyncio.Event()
        # Next offset per partition, applied but not yet committed.
        self._uncommitted: dict[TopicPartition, int] = {}
        self._clock = clock
        self._last_commit = clock()
        # The series from 0, so the dead-letter alert's increase() sees the first one.
        for topic in consumer.subscription():
            DEAD_LETTERS.labels(topic)

    def stop(self) -> None:
        """Finish the batch in hand, commit it, then return from `run`."""
        self._stopping.set()

    async def run(self) -> None:
        """poll -> decode (poison to the DLQ) -> apply -> commit, until `stop` is called."""
        while not self._stopping.is_set():
            batch = await self._consumer.getmany(
                timeout_ms=self._settings.fetch_timeout_ms,
                max_records=self._settings.max_records,
            )
            records = [r for partition_records in batch.values() for r in partition_records]
            started = time.perf_counter()
            good = await self._split_poison(records)
            # False only when stopping while a dependency was down: the offsets stay for the
            # next run to replay.
            applied = not good or await self._retrying("apply", partial(self._apply, good))
            if records and applied:
                self._uncommitted.update(
                    (TopicPartition(r.topic, r.partition), r.offset + 1) for r in records
                )
                CONSUMER_BATCH_DURATION.labels(self._settings.group).observe(
                    time.perf_counter() - started
                )
            if self._uncommitted and (not records or self._commit_due()):
                await self._commit()
            await self._report_lag()
            flush_logs()
        if self._uncommitted:
            await self._commit()

    def _commit_due(self) -> bool:
        elapsed = self._clock() - self._last_commit
        return elapsed >= self._settings.commit_interval_seconds or self._stopping.is_set()

    async def _split_poison(self, records: list[ConsumerRecord]) -> list[Decoded[T]]:
        good: list[Decoded[T]] = []
        for record in records:
            try:
                good.append(Decoded(record, self._decode(record)))
                self._poison_run = 0
            except PoisonMessage as exc:
                await self._dead_letter(record, str(exc))
        return good

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        self._poison_run += 1
        if self._poison_run > self._settings.poison_run_limit:
            raise PoisonFlood(
                f"{self._poison_run} poison messages in a row on {record.topic}; stopping"
            )
        headers = [
            *(record.headers or ()),
            ("dlq-origin-topic", record.topic.encode()),
            ("dlq-origin-partition", str(record.partition).encode()),
            ("dlq-origin-offset", str(record.offset).encode()),
            ("dlq-consumer-group", self._settings.group.encode()),
            ("dlq-reason", reason[:1000].encode()),
        ]
        await self._retrying(
            "dead-letter",
            partial(
                self._dlq.send_and_wait,
                Topic.DEAD_LETTER,
                record.value,
                key=record.key,
                headers=headers,
            ),
        )
        DEAD_LETTERS.labels(record.topic).inc()
        log.warning(
            "message dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            request_id=header(record.headers, REQUEST_ID_HEADER),
        )

    async def _retrying(self, what: str, action: Callable[[], Awaitable[object]]) -> bool:
        """Run `action` until it succeeds (True) or the loop is asked to stop (False)."""
        delay = self._settings.backoff_initial_seconds
        while True:
            try:
                await action()
                return True
            except TRANSIENT_ERRORS as exc:
                CONSUMER_TRANSIENT_FAILURES.labels(self._settings.group).inc()
                log.warning(f"{what} failed; retrying", error=repr(exc), retry_in=delay)
            if self._stopping.is_set():
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._settings.backoff_max_seconds)

    async def _commit(self) -> None:
        # A partition that moved to another consumer since it was applied (a replica joined or
        # left) is not ours to commit: its new owner replays it from the last commit, and
        # every apply is idempotent, so nothing is lost or stored twice.
        assigned = self._consumer.assignment()
        offsets = {tp: o for tp, o in self._uncommitted.items() if tp in assigned}
        moved = self._uncommitted.keys() - offsets.keys()
        self._uncommitted = {}
        self._last_commit = self._clock()
        if moved:
            log.info(
                "partitions moved away before their commit; their new owner replays them",
                partitions=sorted(f"{tp.topic}/{tp.partition}" for tp in moved),
            )
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("offset commit refused after a rebalance", error=str(exc))

    async def _report_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self._consumer.position(tp)
            lag = max(0, highwater - position)
            CONSUMER_LAG.labels(self._settings.group, tp.topic, str(tp.partition)).set(lag)
