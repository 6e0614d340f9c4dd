"""The scheduler's composition root: its pool, its producer and the reminder loop."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from services.scheduler.clock import Clock, FileClock, SystemClock
from services.scheduler.emitter import ReminderScheduler
from services.scheduler.settings import SchedulerSettings
from shared.core.heap import freeze_startup_objects
from shared.runtime.clients import open_pool_and_producer
from shared.runtime.ops_http import Check
from shared.runtime.worker_runtime import Loop


def clock_for(settings: SchedulerSettings) -> Clock:
    return FileClock(Path(settings.clock_file)) if settings.clock_file else SystemClock()


@contextlib.asynccontextmanager
async def open_scheduler(
    settings: SchedulerSettings, checks: dict[str, Check]
) -> AsyncIterator[list[Loop]]:
    async with contextlib.AsyncExitStack() as stack:
        pool, producer = await open_pool_and_producer(
            stack, settings.database, settings.kafka, f"scheduler-{os.getpid()}", checks
        )
        freeze_startup_objects()
        yield [
            ReminderScheduler(
                pool,
                producer,
                clock_for(settings),
                settings.batch_size,
                settings.poll_seconds,
                settings.kafka.send_timeout_seconds,
                settings.crash_at,
            )
        ]
