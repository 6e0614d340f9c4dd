"""The publisher's composition root and its batch step."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError

from services.publisher.apply import apply_batch
from services.publisher.bulk import Refused, create_all_or_none, fits_one_statement
from services.publisher.command_log import log_applied
from services.publisher.outcome_log import record_outcomes
from services.publisher.refusals import expose_metric
from services.publisher.relay import ChangeRelay
from services.publisher.rows import Applied
from services.publisher.settings import PublisherSettings
from shared.adapters.kafka import (
    Producer,
    count_produce_failure,
    expose_produce_failures,
    request_headers,
)
from shared.adapters.partitions import Retention, keep_partitions
from shared.contracts.messages import IngestEnvelope, decode_ingest_commands, encode
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.tasks import cancel_and_wait
from shared.domain.places import catalog as place_catalog
from shared.runtime.consumer_loop import Decoded
from shared.runtime.consumer_service import open_consumer_service
from shared.runtime.ops_http import Check
from shared.runtime.worker_runtime import Loop

log = structlog.get_logger("publisher.command")

# The commands of one ingest message: one, or an IngestGroup's.
Commands = tuple[IngestEnvelope, ...]


class Publisher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: Producer,
        send_timeout_seconds: float,
        committed: Callable[[], None],
        max_commands: int,
        crash_at: str | None = None,
    ) -> None:
        self._pool = pool
        self._max_commands = max_commands
        self._producer = producer
        self._send_timeout = send_timeout_seconds
        self._committed = committed  # wakes the change relay: the outbox may have new rows
        self._crash_at = crash_at
        self._batches = 0
        expose_produce_failures(Topic.OUTCOMES)

    async def apply(self, batch: Sequence[Decoded[Commands]]) -> None:
        """Apply the commands of a fetch in their order, at most `max_commands` per
        transaction (a fetch of IngestGroup messages holds many per record). The caller
        commits the offsets after the last; a crash between transactions replays the fetch,
        and the idempotency keys stored with the first ones make their replay a duplicate."""
        commands = [(item.record, envelope) for item in batch for envelope in item.message]
        for start in range(0, len(commands), self._max_commands):
            chunk = commands[start : start + self._max_commands]
            # This transaction's own number: the process's consumers share this object, so
            # another may start (and count) while this one waits on PostgreSQL.
            self._batches += 1
            number = self._batches
            envelopes = [envelope for _, envelope in chunk]
            async with self._pool.acquire() as conn:
                outcomes: list[Applied] | Refused | None = None
                if fits_one_statement(envelopes):
                    self._failpoint("before_commit", number)  # the statement commits itself
                    outcomes = await create_all_or_none(conn, envelopes)
                if not isinstance(outcomes, list):
                    async with conn.transaction():
                        # The set-based statement would break the constraint this one broke.
                        set_based = outcomes is not Refused.STORE_REFUSED
                        outcomes = await apply_batch(conn, envelopes, set_based=set_based)
                        await record_outcomes(conn, outcomes)
                        self._failpoint("before_commit", number)
            # Committed in PostgreSQL, offsets not in Kafka.
            self._failpoint("after_commit", number)
            self._committed()
            log_applied([record for record, _ in chunk], outcomes)
            await self._announce(outcomes, envelopes)

    async def _announce(self, outcomes: list[Applied], envelopes: list[IngestEnvelope]) -> None:
        """Tell the gateways still waiting. Best effort: the database row is the record of
        truth, and a gateway that misses an outcome answers 202 with a Location to poll.
        Outcomes nobody waits for are only recorded, not announced."""
        now = datetime.now(UTC)
        awaited = [o for o, e in zip(outcomes, envelopes, strict=True) if e.awaited(now)]
        if not awaited:
            return
        sends = [
            self._producer.send_and_wait(
                Topic.OUTCOMES,
                encode(o.message()),
                key=str(o.event_id).encode(),
                headers=request_headers(o.request_id),
            )
            for o in awaited
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*sends), self._send_timeout)
        except (TimeoutError, KafkaError) as exc:
            count_produce_failure(Topic.OUTCOMES, exc)
            log.warning("outcomes not announced", error=repr(exc), count=len(awaited))

    def _failpoint(self, moment: str, batch_number: int) -> None:
        if self._crash_at == f"{moment}:{batch_number}":
            log.warning("failpoint reached: exiting abruptly", failpoint=self._crash_at)
            os._exit(137)  # as SIGKILL would: no rollback sent, no cleanup, no offset commit


def _decode(record: ConsumerRecord) -> Commands:
    return decode_ingest_commands(record.value)


def retentions(settings: PublisherSettings) -> list[Retention]:
    """The publisher owns the partitions of the keys and outcomes it writes."""
    return [
        Retention("idempotency_keys", timedelta(hours=settings.idempotency_retention_hours)),
        Retention("command_outcomes", timedelta(days=settings.outcome_retention_days)),
    ]


@contextlib.asynccontextmanager
async def open_publisher(
    settings: PublisherSettings, checks: dict[str, Check]
) -> AsyncIterator[list[Loop]]:
    await asyncio.to_thread(place_catalog)  # updates re-validate places; build it up front
    expose_metric()
    async with open_consumer_service(
        "publisher", settings, ConsumerGroup.PUBLISHER, [Topic.INGEST], checks
    ) as service:
        relay = ChangeRelay(
            service.pool,
            service.producer,
            batch_size=settings.relay_batch_max_records,
            send_timeout_seconds=settings.kafka.send_timeout_seconds,
            poll_seconds=settings.relay_poll_seconds,
            gather_seconds=settings.relay_gather_seconds,
            crash_at=settings.crash_at,
        )
        publisher = Publisher(
            service.pool,
            service.producer,
            settings.kafka.send_timeout_seconds,
            committed=relay.wake,
            crash_at=settings.crash_at,
            max_commands=settings.batch_max_records,
        )
        pruner = asyncio.create_task(
            keep_partitions(service.pool, retentions(settings)), name="partitions"
        )
        try:
            yield [*service.loops(_decode, publisher.apply), relay]
        finally:
            await cancel_and_wait(pruner)
