"""The auditor's composition root and its batch step."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from services.auditor.settings import AuditorSettings
from services.auditor.store import write_audit
from shared.adapters.kafka import broker_reachable, create_producer, create_worker_consumers
from shared.adapters.postgres import create_pool, ping
from shared.contracts.messages import AuditRecord, decode_audit
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.heap import freeze_startup_objects
from shared.core.metrics import AUDIT_ROWS
from shared.runtime.consumer_loop import ConsumerLoop, Decoded, LoopSettings
from shared.runtime.ops_http import Check, observe_pool

log = structlog.get_logger("auditor.message")


def _decode(record: ConsumerRecord) -> AuditRecord:
    return decode_audit(record.value)


class Auditor:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, batch: Sequence[Decoded[AuditRecord]]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            audit_rows = await write_audit(conn, [item.message for item in batch])
        AUDIT_ROWS.labels("request").inc(audit_rows)
        for item in batch:
            _log_message(item)


def _log_message(item: Decoded[AuditRecord]) -> None:
    message = item.message
    log.info(
        "request audited",
        request_id=message.request_id,
        route=message.route,
        status=message.status,
        key_prefix=message.key_prefix,
        partition=item.record.partition,
        offset=item.record.offset,
    )


@contextlib.asynccontextmanager
async def open_auditor(
    settings: AuditorSettings, checks: dict[str, Check]
) -> AsyncIterator[list[ConsumerLoop[AuditRecord]]]:
    client_id = f"auditor-{os.getpid()}"
    pool = await create_pool(settings.database)
    observe_pool(pool)
    dlq_producer = create_producer(settings.kafka, client_id)
    consumers = create_worker_consumers(settings, ConsumerGroup.AUDITOR, [Topic.AUDIT], client_id)
    await dlq_producer.start()
    for consumer in consumers:
        await consumer.start()
    checks["postgres"] = lambda: ping(pool)
    freeze_startup_objects()
    checks["kafka"] = lambda: broker_reachable(dlq_producer.client)
    loop_settings = LoopSettings(
        group=ConsumerGroup.AUDITOR,
        max_records=settings.batch_max_records,
        poison_run_limit=settings.poison_run_limit,
    )
    try:
        auditor = Auditor(pool)
        yield [
            ConsumerLoop(consumer, dlq_producer, _decode, auditor.apply, loop_settings)
            for consumer in consumers
        ]
    finally:
        for consumer in consumers:
            await consumer.stop()
        await dlq_producer.stop()
        await pool.close()
