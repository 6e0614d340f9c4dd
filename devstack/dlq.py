"""Dead-letter tools: list what was dead-lettered and why; replay it after a fix.

Replay re-produces the original bytes, key and headers to the origin topic. Ingest commands
carry their own idempotency key, so replaying one twice still applies it once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from shared.adapters.kafka import header
from shared.contracts.topics import Topic
from shared.core.settings import KafkaSettings

_ORIGIN_HEADERS = (
    "dlq-origin-topic",
    "dlq-origin-partition",
    "dlq-origin-offset",
    "dlq-consumer-group",
    "dlq-reason",
)


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    origin_topic: str
    origin_partition: str
    origin_offset: str
    group: str
    reason: str
    request_id: str | None
    record: ConsumerRecord

    @property
    def id(self) -> str:
        """PARTITION:OFFSET in the dead-letter topic."""
        return f"{self.partition}:{self.offset}"


async def read_all(settings: KafkaSettings) -> list[DeadLetter]:
    """Every message now in the dead-letter topic, oldest first per partition."""
    consumer = AIOKafkaConsumer(
        Topic.DEAD_LETTER,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"pinned-dlq-reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=1000)  # join and get an assignment
        partitions = consumer.assignment()
        ends = await consumer.end_offsets(list(partitions))
        await consumer.seek_to_beginning(*partitions)
        found: list[DeadLetter] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(_dead_letter(r) for r in records)
        return sorted(found, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


def _dead_letter(record: ConsumerRecord) -> DeadLetter:
    value = {name: header(record.headers, name) or "" for name in _ORIGIN_HEADERS}
    return DeadLetter(
        record.partition,
        record.offset,
        value["dlq-origin-topic"],
        value["dlq-origin-partition"],
        value["dlq-origin-offset"],
        value["dlq-consumer-group"],
        value["dlq-reason"],
        header(record.headers, "request-id"),
        record,
    )


async def replay(
    settings: KafkaSettings,
    letters: list[DeadLetter],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Send each message back to its origin topic; returns how many were replayed."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for done, letter in enumerate(letters, start=1):
            headers = [
                (k, v) for k, v in letter.record.headers or () if k not in _ORIGIN_HEADERS
            ] + [("dlq-replayed-from", str(letter.offset).encode())]
            await producer.send_and_wait(
                letter.origin_topic, letter.record.value, key=letter.record.key, headers=headers
            )
            progress(done, len(letters))
        return len(letters)
    finally:
        await producer.stop()


def details(letter: DeadLetter) -> dict[str, Any]:
    """Everything about one dead letter; the payload parsed when it is JSON, else as text."""
    raw = letter.record.value or b""
    try:
        payload: Any = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = raw.decode(errors="replace")
    return {
        "id": letter.id,
        "key": (letter.record.key or b"").decode(errors="replace"),
        "timestamp": letter.record.timestamp,
        "headers": {name: value.decode(errors="replace") for name, value in letter.record.headers},
        "payload": payload,
    }
