"""Kafka clients built the one way the invariants need, topic creation, and headers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    UnknownProducerId,
)
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from shared.adapters.partitioner import partition_for
from shared.contracts.topics import TOPIC_SPECS, Topic, TopicSpec
from shared.core.metrics import KAFKA_PRODUCE_FAILURES, PRODUCER_RENEWALS
from shared.core.settings import KafkaSettings, WorkerSettings
from shared.core.slices import TimeSlice

log = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "request-id"
MAX_REQUEST_BYTES = 1_048_576  # the producer's max_request_size (aiokafka's default)
Headers = list[tuple[str, bytes]]


# The broker no longer accepts this producer's sequence numbers, typically after a broker
# restart while batches the client had already numbered were lost or expired. aiokafka treats
# these as fatal for the producer; only a producer with a new id can carry on.
_FATAL_PRODUCER_ERRORS = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
)


_Run = tuple[Any, list[int]]  # an aiokafka BatchBuilder and its records' positions


def _append(batch: Any, value: bytes, key: bytes | None, headers: Headers | None) -> bool:
    """Add a record to an aiokafka BatchBuilder; False when the batch is full."""
    return batch.append(timestamp=None, key=key, value=value, headers=headers or []) is not None


async def _queue(
    producer: AIOKafkaProducer, topic: str, partition: int, runs: list[_Run]
) -> list[asyncio.Future[Any]]:
    """A partition's batches handed to the producer in order; their delivery futures."""
    return [await producer.send_batch(batch, topic, partition=partition) for batch, _ in runs]


PRODUCE_FAILURE_REASONS = ("timeout", "broker_error", "backlog_full")


def expose_produce_failures(*topics: str) -> None:
    """`pinned_kafka_produce_failures_total` of each topic a service produces to, at 0 from
    the start, so the alert's increase() sees the first failure."""
    for topic in topics:
        for reason in PRODUCE_FAILURE_REASONS:
            KAFKA_PRODUCE_FAILURES.labels(topic, reason)


def count_produce_failure(topic: str, exc: BaseException | None) -> None:
    """One failed produce to `topic`: `reason` "timeout" (no acknowledgement within the
    deadline), "broker_error" (the broker or the client refused it), or, with `exc` None,
    "backlog_full" (too many sends already waiting; none attempted)."""
    if exc is None:
        reason = "backlog_full"
    elif isinstance(exc, TimeoutError | KafkaTimeoutError):
        reason = "timeout"
    else:
        reason = "broker_error"
    KAFKA_PRODUCE_FAILURES.labels(topic, reason).inc()


class Producer:
    """An idempotent, acks=all producer that replaces itself after a fatal sequence error,
    as the Java client does by bumping its producer id. The send that hit the error still
    fails (the caller answers 503 or retries); the next one goes through a fresh producer.
    Nothing is lost or doubled by the swap: callers only count a record as written once a send
    succeeded, and every consumer deduplicates by the message's idempotency key."""

    def __init__(
        self,
        factory: Callable[[], AIOKafkaProducer],
        max_request_bytes: int = MAX_REQUEST_BYTES,
    ) -> None:
        self._factory = factory
        self._max_request_bytes = max_request_bytes
        self._current = factory()
        self._lock = asyncio.Lock()
        self._retired: set[asyncio.Task[None]] = set()

    @property
    def client(self) -> Any:
        return self._current.client

    async def start(self) -> None:
        await self._current.start()

    async def stop(self) -> None:
        await self._current.stop()
        if self._retired:
            await asyncio.gather(*self._retired, return_exceptions=True)

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes | None = None, headers: Headers | None = None
    ) -> Any:
        producer = self._current
        try:
            return await producer.send_and_wait(topic, value, key=key, headers=headers)
        except _FATAL_PRODUCER_ERRORS as exc:
            await self._renew(producer, exc)
            raise

    async def partitions_for(self, topic: str) -> list[int]:
        """The topic's partition numbers, in order (waits for its metadata if not known)."""
        return sorted(await self._current.partitions_for(topic))

    async def send_many(
        self, topic: str, messages: Sequence[tuple[bytes, bytes | None, Headers | None]]
    ) -> list[BaseException | None]:
        """Send (value, key, headers) records together; each answer is None once the broker
        has that record, else its error. One wait for all of them instead of one per record.

        The records are laid into one record batch per partition (a key's partition as
        `partition_for` gives it, records in the order given) and each batch is handed to
        the producer whole: about half the CPU per record of a `send` each, which awaits a
        coroutine and a future per record. Every record of a batch gets its batch's answer,
        as the broker accepts or refuses a partition's batch as a whole; a record above the
        producer's request size is refused alone (`MessageSizeTooLargeError`), as `send`
        refuses it, and the others go. A partition's batch is queued once the batch before it
        there has left for the broker: beside single sends on the same partitions, up to one
        broker round trip later than appending to that batch would have been (the partitions
        wait side by side, not one after another)."""
        producer = self._current
        answers: list[BaseException | None] = [None] * len(messages)
        try:
            partitions = sorted(await producer.partitions_for(topic))
            batches = await self._lay_out(producer, messages, partitions, answers)
            # Partitions side by side: each may wait for its previous batch to leave (above).
            queued = await asyncio.gather(
                *(_queue(producer, topic, partition, runs) for partition, runs in batches.items())
            )
            deliveries = [delivery for per_partition in queued for delivery in per_partition]
            members = [positions for runs in batches.values() for _, positions in runs]
            delivered = await asyncio.gather(*deliveries, return_exceptions=True)
        except _FATAL_PRODUCER_ERRORS as exc:
            await self._renew(producer, exc)
            raise
        fatal = next((a for a in delivered if isinstance(a, _FATAL_PRODUCER_ERRORS)), None)
        if fatal is not None:
            await self._renew(producer, fatal)
        for answer, positions in zip(delivered, members, strict=True):
            if isinstance(answer, BaseException):
                for position in positions:
                    answers[position] = answer
        return answers

    async def _lay_out(
        self,
        producer: AIOKafkaProducer,
        messages: Sequence[tuple[bytes, bytes | None, Headers | None]],
        partitions: list[int],
        answers: list[BaseException | None],
    ) -> dict[int, list[_Run]]:
        """Each message's record appended to its partition's open batch (a new one when that
        is full), in order; an oversized record's refusal put in `answers` instead."""
        work = TimeSlice()  # appending hundreds of records is itself a long step
        batches: dict[int, list[_Run]] = {}
        for position, (value, key, headers) in enumerate(messages):
            await work.checkpoint()
            size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers or [])
            if size > self._max_request_bytes:
                answers[position] = MessageSizeTooLargeError(
                    f"the record is {size} bytes, above the producer's request size "
                    f"of {self._max_request_bytes}"
                )
                continue
            runs = batches.setdefault(partition_for(key, partitions, partitions), [])
            if not runs or not _append(runs[-1][0], value, key, headers):
                runs.append((producer.create_batch(), []))
                _append(runs[-1][0], value, key, headers)  # the first record always fits
            runs[-1][1].append(position)
        return batches

    async def _renew(self, broken: AIOKafkaProducer, cause: Exception) -> None:
        async with self._lock:
            if self._current is not broken:
                return  # another send already renewed it
            fresh = self._factory()
            await fresh.start()
            self._current = fresh
        PRODUCER_RENEWALS.labels(type(cause).__name__).inc()
        log.warning("producer renewed after a fatal sequence error", error=repr(cause))
        task = asyncio.create_task(broken.stop())
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)


def create_producer(settings: KafkaSettings, client_id: str) -> Producer:
    """acks=all and idempotence: a 2xx is only answered once every in-sync replica has it.
    Keys are partitioned as aiokafka's default does it, in fewer steps (`partitioner`)."""
    return Producer(
        lambda: AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.linger_ms,
            max_batch_size=settings.max_batch_bytes,
            compression_type=settings.compression_type,
            request_timeout_ms=int(settings.send_timeout_seconds * 1000),
            partitioner=partition_for,
            max_request_size=MAX_REQUEST_BYTES,
        )
    )


def create_consumer(
    settings: KafkaSettings, group: str, topics: Sequence[Topic], client_id: str, **overrides: int
) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the database commit; new groups start at the
    beginning so nothing written before the first deploy is skipped."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        **overrides,
    )


def create_worker_consumers(
    settings: WorkerSettings, group: str, topics: Sequence[Topic], client_id: str
) -> list[AIOKafkaConsumer]:
    """A consumer service's consumers (`settings.consumers` of them, in one group), fetching
    in the batches its settings ask for."""
    return [
        create_consumer(
            settings.kafka,
            group,
            topics,
            f"{client_id}-{number}",
            fetch_min_bytes=settings.fetch_min_bytes,
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
        )
        for number in range(1, settings.consumers + 1)
    ]


async def ensure_topics(settings: KafkaSettings, specs: Iterable[TopicSpec] = TOPIC_SPECS) -> None:
    """Create any missing topic with explicit partitions, replication and min ISR."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [_new_topic(spec, settings) for spec in specs if spec.topic not in existing]
        if missing:
            # Another process may create a topic between our list and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            log.info("topics created", topics=[str(t.name) for t in missing])
    finally:
        await admin.close()


def _new_topic(spec: TopicSpec, settings: KafkaSettings) -> NewTopic:
    return NewTopic(
        name=spec.topic,
        num_partitions=spec.partitions,
        replication_factor=settings.replication_factor,
        topic_configs=topic_configs(spec, settings),
    )


def topic_configs(spec: TopicSpec, settings: KafkaSettings) -> dict[str, str]:
    configs = {
        "min.insync.replicas": str(settings.min_insync_replicas),
        "cleanup.policy": spec.cleanup_policy,
    }
    if spec.retention_ms is not None:
        configs["retention.ms"] = str(spec.retention_ms)
    if spec.min_compaction_lag_ms is not None:
        configs["min.compaction.lag.ms"] = str(spec.min_compaction_lag_ms)
    return configs


def request_headers(request_id: str) -> Headers:
    return [(REQUEST_ID_HEADER, request_id.encode())]


def header(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode(errors="replace")
    return None


Client = TypeVar("Client", AIOKafkaConsumer, AIOKafkaProducer)


@contextlib.asynccontextmanager
async def started(client: Client) -> AsyncIterator[Client]:
    """The client started, and stopped at the end even when starting failed: a client whose
    start failed (no broker answered) still holds its connections, and warns on stderr when
    collected unclosed."""
    try:
        await client.start()
        yield client
    finally:
        await client.stop()


async def broker_reachable(client: object) -> None:
    """Raise unless some broker answers a metadata request now (cached metadata won't do);
    the error names the brokers asked, for /readyz."""
    try:
        await client.fetch_all_metadata()  # type: ignore[attr-defined]
    except KafkaError as exc:
        said = str(exc).strip().removeprefix(type(exc).__name__).removeprefix(": ")
        asked = getattr(client, "_bootstrap_servers", None) or "?"
        why = said or "no broker answered a metadata request"
        raise KafkaError(f"{why} (bootstrap servers {asked})") from exc
