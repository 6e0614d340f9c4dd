"""Answers waiting create requests with the publisher's outcome.

Every gateway process reads every outcome (no consumer group, starting at the end), and
resolves the requests it is waiting on by message id; the others are ignored. A request
whose outcome is late is answered 202 and can be polled.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts.messages import IngestEnvelope, Outcome, PoisonMessage, decode_outcome
from shared.contracts.topics import Topic
from shared.core.settings import KafkaSettings
from shared.core.tasks import cancel_and_wait

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Awaited:
    """One command's outcome, once the publisher announces it."""

    _future: asyncio.Future[Outcome]

    async def outcome(self, seconds: float) -> Outcome | None:
        """The outcome, or None when it did not come within `seconds`."""
        if seconds <= 0:
            return None
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.shield(self._future)
        except TimeoutError:
            return None


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

    @contextlib.contextmanager
    def expecting(self, envelope: IngestEnvelope) -> Iterator[Awaited | None]:
        """Inside, the envelope's outcome to wait for, registered before the command is
        produced so a fast outcome cannot be missed; None when nobody waits for it (no
        outcome is announced then)."""
        if envelope.awaited_until is None:
            yield None
            return
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiters[envelope.message_id] = future
        try:
            yield Awaited(future)
        finally:
            self._waiters.pop(envelope.message_id, None)

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
