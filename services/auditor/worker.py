"""The auditor's composition root and its batch step."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from services.auditor.settings import AuditorSettings
from services.auditor.store import write_audit
from shared.contracts.messages import AuditRecord, decode_audit
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.metrics import AUDIT_ROWS
from shared.runtime.consumer_loop import ConsumerLoop, Decoded
from shared.runtime.consumer_service import open_consumer_service
from shared.runtime.ops_http import Check

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
    async with open_consumer_service(
        "auditor", settings, ConsumerGroup.AUDITOR, [Topic.AUDIT], checks
    ) as service:
        yield service.loops(_decode, Auditor(service.pool).apply)
