"""Driving the scheduler's clock in tests: write the instant to its clock file, then wait
until the scheduler has finished a pass at that instant (its clock gauge), so a test can
assert that nothing was sent yet without sleeping and hoping."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from devstack.stack import ServiceProcess
from tests.integration.conftest import eventually, sample, scrape


def write_clock(clock_file: Path, instant: datetime) -> None:
    clock_file.parent.mkdir(parents=True, exist_ok=True)
    clock_file.write_text(instant.isoformat())


async def move_clock(scheduler: ServiceProcess, clock_file: Path, instant: datetime) -> None:
    await asyncio.to_thread(write_clock, clock_file, instant)

    async def passed() -> bool:
        seen = sample(await scrape(scheduler), "pinned_scheduler_clock_timestamp_seconds")
        return seen >= instant.timestamp()

    await eventually(passed, within=20)
