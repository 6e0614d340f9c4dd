"""The auditor's composition root and its batch step."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from services.auditor.settings import AuditorSettings
from services.auditor.store import write_audit
from shared.adapters.partitions import Retention, keep_partitions
from shared.contracts.messages import AuditRecord, decode_audit
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.metrics import AUDIT_ROWS
from shared.core.tasks import cancel_and_wait
from shared.runtime.consumer_loop import ConsumerLoop, Decoded
from shared.runtime.consumer_service import open_consumer_service
from shared.runtime.ops_http import Check

log = structlog.get_logger("auditor.message")


# A Kafka message holds a gateway's batch of records (or, written before batching, one).
Records = tuple[AuditRecord, ...]


def _decode(record: ConsumerRecord) -> Records:
    return decode_audit(record.value)


class Auditor:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, batch: Sequence[Decoded[Records]]) -> None:
        records = [record for item in batch for record in item.message]
        async with self._pool.acquire() as conn, conn.transaction():
            audit_rows = await write_audit(conn, records)
        AUDIT_ROWS.labels("request").inc(audit_rows)
        for item in batch:
            _log_message(item)


def _log_message(item: Decoded[Records]) -> None:
    for message in item.message:
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
) -> AsyncIterator[list[ConsumerLoop[Records]]]:
    async with open_consumer_service(
        "auditor", settings, ConsumerGroup.AUDITOR, [Topic.AUDIT], checks
    ) as service:
        audit = Retention("audit_log", timedelta(days=settings.retention_days))
        task = asyncio.create_task(keep_partitions(service.pool, [audit]), name="partitions")
        try:
            yield service.loops(_decode, Auditor(service.pool).apply)
        finally:
            await cancel_and_wait(task)
