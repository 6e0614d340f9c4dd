"""Answers waiting create requests with the publisher's outcome.

Every gateway process reads every outcome (no consumer group, starting at the end), and
resolves the requests it is waiting on by message id; the others are ignored. A request
whose outcome is late is answered 202 and can be polled.
"""

from __future__ import annotations

import asyncio
import uuid

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts.messages import Outcome, PoisonMessage, decode_outcome
from shared.contracts.topics import Topic
from shared.core.settings import KafkaSettings
from shared.core.tasks import cancel_and_wait

log = structlog.get_logger(__name__)


class OutcomeListener:
    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            client_id=client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=50,
        )
        self._waiters: dict[uuid.UUID, asyncio.Future[Outcome]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        # Assigning partitions ourselves needs them listed first; the public API only offers
        # that through the client's metadata.
        cluster = await self._consumer._client.fetch_all_metadata()
        partitions = cluster.partitions_for_topic(Topic.OUTCOMES) or set()
        self._consumer.assign([TopicPartition(Topic.OUTCOMES, p) for p in partitions])
        await self._consumer.seek_to_end()
        self._task = asyncio.create_task(self._run(), name="outcome-listener")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        await self._consumer.stop()

    def expect(self, message_id: uuid.UUID) -> asyncio.Future[Outcome]:
        """Register interest before producing, so a fast outcome cannot be missed."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiters[message_id] = future
        return future

    def forget(self, message_id: uuid.UUID) -> None:
        self._waiters.pop(message_id, None)

    async def wait(self, future: asyncio.Future[Outcome], seconds: float) -> Outcome | None:
        if seconds <= 0:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), seconds)
        except TimeoutError:
            return None

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    self._resolve(record.value)

    def _resolve(self, raw: bytes | None) -> None:
        try:
            outcome = decode_outcome(raw)
        except PoisonMessage as exc:
            log.warning("undecodable outcome ignored", error=str(exc))
            return
        future = self._waiters.pop(outcome.message_id, None)
        if future is not None and not future.done():
            future.set_result(outcome)
