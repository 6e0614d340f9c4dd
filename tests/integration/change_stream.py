"""Reading the change stream from the start, as a new consumer would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection

from aiokafka import AIOKafkaConsumer

from shared.contracts.changes import EventChange, decode_change
from shared.contracts.topics import Topic


async def changes_of(
    bootstrap: str,
    event_ids: Collection[str],
    done: Callable[[dict[str, list[EventChange]]], bool],
    within: float = 30.0,
) -> dict[str, list[EventChange]]:
    """Every record of these events on the stream, in stream order, once `done` says enough
    arrived (or `within` seconds passed)."""
    wanted = {str(e) for e in event_ids}
    found: dict[str, list[EventChange]] = {e: [] for e in wanted}
    consumer = AIOKafkaConsumer(
        Topic.EVENT_CHANGES,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    deadline = time.monotonic() + within
    try:
        while not done(found) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    if record.key is not None and record.key.decode() in wanted:
                        found[record.key.decode()].append(decode_change(record.value))
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return found
