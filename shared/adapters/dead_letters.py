"""Dead letters: what a consumer could not decode, read back from `pinned.dlq.v1` with where
it came from and why, and replayed to its origin topic after a fix.

One implementation for operators on the command line (`pinned dlq`) and in the developer
portal (`/developers/operations/dead-letters`). Replay re-produces the original bytes, key
and headers to the origin topic; ingest commands carry their own idempotency key, so
replaying one twice still applies it once. Each replay is recorded in PostgreSQL
(`dead_letter_replays`): lists say which letters were replayed, and replaying "all" takes
only the others.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.adapters.kafka import header, started
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
    replayed_at: datetime | None = None  # the last replay, from `with_replays`
    replayed_by: str | None = None

    @property
    def id(self) -> str:
        """PARTITION:OFFSET in the dead-letter topic."""
        return f"{self.partition}:{self.offset}"

    @property
    def dead_lettered_at(self) -> datetime:
        return datetime.fromtimestamp(self.record.timestamp / 1000, UTC)

    def summary(self) -> dict[str, Any]:
        """Everything but the record: what lists show."""
        return {"id": self.id, **{k: v for k, v in vars(self).items() if k != "record"}}


_REPLAYS = """
SELECT partition, "offset", dead_lettered_at, replayed_at, replayed_by FROM dead_letter_replays
WHERE dead_lettered_at > now() - interval '31 days'
"""

_MARK = """
INSERT INTO dead_letter_replays (partition, "offset", dead_lettered_at, replayed_by)
SELECT * FROM unnest($1::integer[], $2::bigint[], $3::timestamptz[], $4::text[])
ON CONFLICT (partition, "offset", dead_lettered_at) DO UPDATE
SET replayed_at = now(), replayed_by = EXCLUDED.replayed_by,
    replays = dead_letter_replays.replays + 1
"""


async def with_replays(
    conn: asyncpg.Connection | asyncpg.Pool, letters: list[DeadLetter]
) -> list[DeadLetter]:
    """`letters` with when and by whom each was last replayed (None: never)."""
    marks = {
        (r["partition"], r["offset"], r["dead_lettered_at"]): r for r in await conn.fetch(_REPLAYS)
    }
    found = []
    for letter in letters:
        mark = marks.get((letter.partition, letter.offset, letter.dead_lettered_at))
        if mark is not None:
            letter = dataclasses.replace(
                letter, replayed_at=mark["replayed_at"], replayed_by=mark["replayed_by"]
            )
        found.append(letter)
    return found


async def mark_replayed(
    conn: asyncpg.Connection | asyncpg.Pool, letters: list[DeadLetter], actor: str
) -> None:
    """Record that `actor` replayed `letters`; marks past the topic's retention go."""
    await conn.execute(
        _MARK,
        [letter.partition for letter in letters],
        [letter.offset for letter in letters],
        [letter.dead_lettered_at for letter in letters],
        [actor] * len(letters),
    )
    await conn.execute(
        "DELETE FROM dead_letter_replays WHERE dead_lettered_at < now() - interval '31 days'"
    )


def not_replayed(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    return [letter for letter in letters if letter.replayed_at is None]


async def read_all(settings: KafkaSettings, newest: int | None = None) -> list[DeadLetter]:
    """The messages now in the dead-letter topic, oldest first per partition; with `newest`,
    only the last `newest` of each partition. Read by assignment, without a consumer group,
    so reading leaves nothing behind in the broker."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    async with started(consumer):
        cluster = await consumer._client.fetch_all_metadata()  # as the lag monitor does
        partitions = [
            TopicPartition(Topic.DEAD_LETTER, p)
            for p in sorted(cluster.partitions_for_topic(Topic.DEAD_LETTER) or ())
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            first = starts[tp] if newest is None else max(starts[tp], ends[tp] - newest)
            consumer.seek(tp, first)
        found: list[DeadLetter] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(_dead_letter(r) for r in records)
        return sorted(found, key=lambda d: (d.partition, d.offset))


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


def chosen(letters: Iterable[DeadLetter], ids: Iterable[str]) -> list[DeadLetter]:
    """The letters with these PARTITION:OFFSET ids; LookupError naming any unknown one."""
    by_id = {letter.id: letter for letter in letters}
    wanted = list(dict.fromkeys(ids))
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise LookupError(f"no dead letter {', '.join(unknown)}; 'pinned dlq list' shows the ids")
    return [by_id[i] for i in wanted]


async def replay(
    settings: KafkaSettings,
    letters: list[DeadLetter],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Send each message back to its origin topic; returns how many were replayed."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=True
    )
    async with started(producer):
        for done, letter in enumerate(letters, start=1):
            headers = [
                (k, v) for k, v in letter.record.headers or () if k not in _ORIGIN_HEADERS
            ] + [("dlq-replayed-from", str(letter.offset).encode())]
            await producer.send_and_wait(
                letter.origin_topic, letter.record.value, key=letter.record.key, headers=headers
            )
            progress(done, len(letters))
        return len(letters)


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
