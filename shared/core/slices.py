"""Long loops that share the event loop: a request that does a lot of work in one go (a batch
of 500 events) would hold every other request, and the gateway's admission probe, behind it
for its whole length, which the probe reads as a standing queue and answers with refusals.
A `TimeSlice` hands the loop back after every `budget_seconds` of work instead."""

from __future__ import annotations

import asyncio
import time

# A slice well under the admission controller's 5 ms target, so a batch's work does not by
# itself read as a queue; yielding costs about a microsecond, at most once per slice.
DEFAULT_BUDGET_SECONDS = 0.001


class TimeSlice:
    """`await slice.checkpoint()` in a long loop: yields to the event loop when at least
    `budget_seconds` (wall clock) have passed since this slice began or last yielded."""

    def __init__(self, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> None:
        self._budget = budget_seconds
        self._since = time.perf_counter()

    async def checkpoint(self) -> None:
        if time.perf_counter() - self._since >= self._budget:
            await asyncio.sleep(0)
            self._since = time.perf_counter()
