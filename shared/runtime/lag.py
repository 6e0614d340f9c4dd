"""Consumer-group lag seen from outside the group, so it stays visible (and keeps growing)
while every consumer of the group is down: committed offsets vs. log-end offsets."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.contracts.topics import ConsumerGroup, Topic
from shared.core.metrics import GROUP_LAG, OLDEST_UNAPPLIED_AGE
from shared.core.settings import KafkaSettings
from shared.core.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

WATCHED: dict[ConsumerGroup, tuple[Topic, ...]] = {
    ConsumerGroup.PUBLISHER: (Topic.INGEST,),
    ConsumerGroup.AUDITOR: (Topic.AUDIT,),
    ConsumerGroup.PROJECTOR: (Topic.EVENT_CHANGES,),
    ConsumerGroup.NOTIFIER: (Topic.EVENT_CHANGES, Topic.NOTIFICATIONS),
}


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


class LagMonitor:
    def __init__(
        self,
        settings: KafkaSettings,
        interval_seconds: float = 10.0,
        watched: dict[ConsumerGroup, tuple[Topic, ...]] | None = None,
    ) -> None:
        """`watched`: the groups and topics to measure (default: every group's)."""
        self._settings = settings
        self._interval = interval_seconds
        self._watched = WATCHED if watched is None else watched
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._settings.bootstrap_servers)
        self._offsets = AIOKafkaConsumer(
            bootstrap_servers=self._settings.bootstrap_servers, group_id=None
        )
        try:
            await self._admin.start()
            await self._offsets.start()
        except BaseException:
            await self._close()  # a client whose start failed still holds connections
            raise
        self._task = asyncio.create_task(self._run(), name="lag-monitor")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        await self._close()

    async def _close(self) -> None:
        await self._offsets.stop()
        await self._admin.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.measure()
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("lag measurement failed", error=repr(exc))
            await asyncio.sleep(self._interval)

    async def measure(self) -> None:
        oldest: dict[tuple[str, str], float] = {}
        now = time.time()
        for lag in await self.partition_lags():
            GROUP_LAG.labels(lag.group, lag.topic, str(lag.partition)).set(lag.lag)
            key = (lag.group, lag.topic)
            oldest.setdefault(key, 0.0)
            if lag.lag:
                written_at = await self._timestamp_at(lag.topic, lag.partition, lag.committed)
                if written_at is not None:
                    oldest[key] = max(oldest[key], now - written_at)
        for (group, topic), age in oldest.items():
            OLDEST_UNAPPLIED_AGE.labels(group, topic).set(round(max(age, 0.0), 3))

    async def _timestamp_at(self, topic: str, partition: int, offset: int) -> float | None:
        """When the first record the group has not committed was written (seconds)."""
        tp = TopicPartition(topic, partition)
        self._offsets.assign([tp])
        self._offsets.seek(tp, offset)
        batch = await self._offsets.getmany(tp, timeout_ms=2000, max_records=1)
        records = batch.get(tp, [])
        return records[0].timestamp / 1000 if records else None

    async def partition_lags(self) -> list[PartitionLag]:
        """Every watched group's committed offset, log end and lag, partition by partition."""
        found = []
        for group, topics in self._watched.items():
            committed = await self._admin.list_consumer_group_offsets(group)
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in self._offsets.partitions_for_topic(topic) or await self._refresh(topic)
            ]
            ends = await self._offsets.end_offsets(partitions)
            for tp in sorted(partitions):
                done = committed[tp].offset if tp in committed else 0
                found.append(PartitionLag(group, tp.topic, tp.partition, done, ends[tp]))
        return found

    async def _refresh(self, topic: str) -> set[int]:
        cluster = await self._offsets._client.fetch_all_metadata()  # as in OutcomeListener
        return cluster.partitions_for_topic(topic) or set()
