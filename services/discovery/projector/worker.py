"""The projector's composition root and its batch step: change records -> read model."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from services.discovery.projector.rows import newest_per_event, projected
from services.discovery.projector.settings import ProjectorSettings
from services.discovery.projector.store import project
from shared.contracts.changes import EventChange, decode_change
from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.metrics import PROJECTED_CHANGES, PROJECTION_DELAY
from shared.domain.places import catalog as place_catalog
from shared.runtime.consumer_loop import Decoded
from shared.runtime.consumer_service import open_consumer_service
from shared.runtime.ops_http import Check
from shared.runtime.worker_runtime import Loop

log = structlog.get_logger("discovery.projector")


def _decode(record: ConsumerRecord) -> EventChange:
    return decode_change(record.value)


class Projector:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, batch: Sequence[Decoded[EventChange]]) -> None:
        changes = newest_per_event([item.message for item in batch])
        made = [projected(change) for change in changes]
        async with self._pool.acquire() as conn, conn.transaction():
            changed = await project(conn, made)
        now = datetime.now(UTC)
        for change in changes:
            fresh = change.event_id in changed
            PROJECTED_CHANGES.labels("applied" if fresh else "older").inc()
            if fresh:
                PROJECTION_DELAY.observe(max(0.0, (now - change.changed_at).total_seconds()))
        log.info(
            "changes projected",
            records=len(batch),
            events=len(changes),
            applied=len(changed),
            last_change_id=max(item.message.change_id for item in batch),
        )


@contextlib.asynccontextmanager
async def open_projector(
    settings: ProjectorSettings, checks: dict[str, Check]
) -> AsyncIterator[list[Loop]]:
    await asyncio.to_thread(place_catalog)  # coordinates of cities without a venue point
    async with open_consumer_service(
        "projector", settings, ConsumerGroup.PROJECTOR, [Topic.EVENT_CHANGES], checks
    ) as service:
        yield list(service.loops(_decode, Projector(service.pool).apply))
