"""Writes ingest commands and audit records to Kafka with the gateway's own deadline."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence

import structlog
from aiokafka.errors import KafkaError

from services.gateway.adapters.ingest_groups import MAX_GROUP_COMMANDS, Encoded, group_commands
from services.gateway.errors import EventLogBacklogged, EventLogUnavailable
from shared.adapters.kafka import (
    Producer,
    count_produce_failure,
    expose_produce_failures,
    request_headers,
)
from shared.contracts.messages import AuditBatch, AuditRecord, IngestEnvelope, encode
from shared.contracts.topics import Topic
from shared.core.metrics import KAFKA_PRODUCE_DURATION
from shared.core.slices import TimeSlice

log = structlog.get_logger(__name__)


class KafkaWriter:
    def __init__(
        self,
        producer: Producer,
        send_timeout_seconds: float,
        max_pending: int = 10_000,
        audit_linger_seconds: float = 0.005,
        audit_max_records: int = 200,
        group_max_commands: int = MAX_GROUP_COMMANDS,
    ) -> None:
        self._producer = producer
        self._group_max_commands = group_max_commands
        # When each single command waiting for its acknowledgement began (monotonic), in
        # the order they began: admission control samples the oldest one's age.
        self._waiting: dict[int, float] = {}
        self._tickets = itertools.count()
        self._timeout = send_timeout_seconds
        self._max_pending = max_pending
        self._pending = 0
        self._pending_audit: set[asyncio.Task[None]] = set()
        # Audit records held until the batch is sent; 200 of the largest (a 500-character
        # path, a 300-character agent) stay well under Kafka's 1 MB message limit.
        self._audit: list[AuditRecord] = []
        self._audit_timer: asyncio.TimerHandle | None = None
        self._audit_linger = audit_linger_seconds
        self._audit_max_records = audit_max_records
        self._failing = False
        expose_produce_failures(Topic.INGEST, Topic.AUDIT)

    @property
    def send_timeout_seconds(self) -> float:
        return self._timeout

    @property
    def failing(self) -> bool:
        """True from an ingest send the broker did not acknowledge (a timeout, a broker
        error) until one it did: admission control then answers its refusals as the outage
        they are (503 service_unavailable), not as overload."""
        return self._failing

    async def write_command(self, envelope: IngestEnvelope) -> None:
        """Return only once the broker has the command (acks=all), else raise
        EventLogUnavailable (or EventLogBacklogged when too many wait already).

        A timed-out send may still reach the broker later; a retry with the same
        Idempotency-Key is then deduplicated by the publisher.
        """
        self._refuse_if_backlogged()
        self._pending += 1
        started = time.perf_counter()
        ticket = next(self._tickets)
        self._waiting[ticket] = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout):
                await self._producer.send_and_wait(
                    Topic.INGEST,
                    encode(envelope),
                    key=str(envelope.command.event_id).encode(),
                    headers=request_headers(envelope.request_id),
                )
        except (TimeoutError, KafkaError) as exc:
            raise self._unavailable(exc) from exc
        finally:
            self._pending -= 1
            del self._waiting[ticket]
        self._acknowledged(True)
        KAFKA_PRODUCE_DURATION.labels(Topic.INGEST).observe(time.perf_counter() - started)

    async def write_commands(
        self, envelopes: Sequence[IngestEnvelope]
    ) -> list[EventLogUnavailable | None]:
        """The batch endpoint's commands under one deadline, in IngestGroups per partition
        (`ingest_groups`): None for each the broker has, else the refusal to report for that
        item (a retry with its idempotencyKey is safe). The envelopes are one request's: they
        share its request id."""
        if not envelopes:  # every item was invalid or replayed: nothing to wait for
            return []
        self._refuse_if_backlogged()
        self._pending += len(envelopes)
        started = time.perf_counter()
        try:
            commands = []
            work = TimeSlice()
            for e in envelopes:
                await work.checkpoint()
                commands.append(Encoded(encode(e), str(e.command.event_id).encode()))
            headers = request_headers(envelopes[0].request_id)
            async with asyncio.timeout(self._timeout):
                partitions = await self._producer.partitions_for(Topic.INGEST)
                groups = group_commands(commands, partitions, max_commands=self._group_max_commands)
                messages = [(*group.message(commands), headers) for group in groups]
                answers = await self._producer.send_many(Topic.INGEST, messages)
        except (TimeoutError, KafkaError) as exc:
            return [self._unavailable(exc)] * len(envelopes)
        finally:
            self._pending -= len(envelopes)
        self._acknowledged(all(answer is None for answer in answers))
        KAFKA_PRODUCE_DURATION.labels(Topic.INGEST).observe(time.perf_counter() - started)
        refusals: list[EventLogUnavailable | None] = [None] * len(envelopes)
        for group, answer in zip(groups, answers, strict=True):
            if answer is not None:
                refusal = self._unavailable(answer)
                for position in group.positions:
                    refusals[position] = refusal
        return refusals

    def oldest_wait(self, now: float) -> float:
        """Seconds the oldest single command still waiting for the broker has waited at
        monotonic `now`; 0 when none waits. (Batches wait on their 500 items together and
        are left out.)"""
        return now - next(iter(self._waiting.values()), now)

    def _refuse_if_backlogged(self) -> None:
        if self._pending >= self._max_pending:
            count_produce_failure(Topic.INGEST, None)
            raise EventLogBacklogged(self._pending)

    def _acknowledged(self, every_send: bool) -> None:
        if every_send and self._failing:
            log.info("event log acknowledging again")
        elif not every_send and not self._failing:
            log.warning("event log not acknowledging: writes refused as service_unavailable")
        self._failing = not every_send

    def _unavailable(self, exc: BaseException) -> EventLogUnavailable:
        self._acknowledged(False)
        count_produce_failure(Topic.INGEST, exc)
        log.warning("ingest produce failed", error=repr(exc))
        return EventLogUnavailable()

    def write_audit(self, record: AuditRecord) -> None:
        """Fire and forget: the audit write must not delay or fail the caller's response.
        Records are held for up to `audit_linger_seconds` (or until `audit_max_records`)
        and sent together, as one AuditBatch: one produce per request was a tenth of the
        gateway's CPU."""
        self._audit.append(record)
        if len(self._audit) >= self._audit_max_records:
            self._flush_audit()
        elif self._audit_timer is None:
            loop = asyncio.get_running_loop()
            self._audit_timer = loop.call_later(self._audit_linger, self._flush_audit)

    def _flush_audit(self) -> None:
        if self._audit_timer is not None:
            self._audit_timer.cancel()
            self._audit_timer = None
        records, self._audit = tuple(self._audit), []
        if records:
            task = asyncio.create_task(self._send_audit(records))
            self._pending_audit.add(task)
            task.add_done_callback(self._pending_audit.discard)

    async def _send_audit(self, records: tuple[AuditRecord, ...]) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                # No key: any partition will do, and batches spread over the auditors.
                await self._producer.send_and_wait(Topic.AUDIT, encode(AuditBatch(records=records)))
        except (TimeoutError, KafkaError) as exc:
            count_produce_failure(Topic.AUDIT, exc)
            log.warning(
                "audit produce failed",
                error=repr(exc),
                records=len(records),
                request_ids=[r.request_id for r in records],
            )

    async def drain(self) -> None:
        """Send the records still held and wait for those in flight; called on shutdown,
        after the server has answered its last request and before the producer stops."""
        self._flush_audit()
        if self._pending_audit:
            await asyncio.gather(*self._pending_audit, return_exceptions=True)
