"""Admission control for the write routes: refuse new work at once while the gateway holds a
standing queue, instead of letting every request wait longer (CoDel's test, RFC 8289).

The queue measured is the event loop's ready queue, where every request of an asyncio server
waits its turn: each parsed request, each Kafka acknowledgement and each database answer is a
callback there. A probe asks to be woken every `probe_seconds` and records how late it ran:
that lateness is the sojourn time of the queue at that moment. A burst makes it jump and
drain again; a standing queue keeps it above `target_seconds` even at its lowest. So, as
CoDel does, the controller refuses only once the sojourn has stayed above the target for a
whole `interval_seconds`, and admits again at the first sample below it; soon after that
(`reentry_seconds`), a shorter run above the target (`reentry_interval_seconds`) refuses again.

`SojournController` is pure (the caller passes the time), so tests drive it with a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from shared.core.metrics import ADMISSION_REFUSING, EVENT_LOOP_LAG

log = structlog.get_logger("gateway.admission")


@dataclass
class SojournController:
    """CoDel's standing-queue test over sojourn samples (seconds, on a monotonic clock).

    `refusing` turns true once every sample for `interval` seconds was at or above `target`,
    and false at the first sample below it. Within `reentry` seconds after refusing stopped,
    samples at or above `target` for `reentry_interval` (shorter) refuse again: the queue
    that was standing is back, and waiting a whole interval again would admit an interval's
    worth of requests past capacity each time (CoDel, too, resumes its previous drop rate
    when it re-enters the dropping state soon after leaving it, RFC 8289). Outside that
    time a single late sample (one large batch request parsed in one go) refuses nothing."""

    target: float
    interval: float
    name: str = "sojourn"
    reentry: float = 0.0
    reentry_interval: float = 0.0
    refusing: bool = False
    # When the sojourn went above the target and has stayed there since; None while below.
    above_since: float | None = None
    # When refusing last stopped; None if it never started.
    stopped_at: float | None = None

    def observe(self, sojourn: float, now: float) -> None:
        if sojourn < self.target:
            if self.refusing:
                self.stopped_at = now
            self.above_since = None
            self.refusing = False
            return
        if self.above_since is None:
            self.above_since = now
        recently = self.stopped_at is not None and now - self.stopped_at < self.reentry
        if now - self.above_since >= (self.reentry_interval if recently else self.interval):
            self.refusing = True


def refusing(controllers: Sequence[SojournController]) -> bool:
    return any(c.refusing for c in controllers)


# A queue the probe also samples: its controller, and the age of its oldest waiting item at
# a monotonic instant (0 when none waits).
Queue = tuple[SojournController, Callable[[float], float]]


async def probe_event_loop(
    on_loop: Sequence[SojournController], period: float, queues: Sequence[Queue] = ()
) -> None:
    """Every `period` seconds, until cancelled, feed each of `on_loop` (one per target) with
    how late the event loop woke the probe (also `pinned_gateway_event_loop_lag_seconds`),
    and each of `queues` with the age of its oldest waiting item: both are sojourn times
    measured now, whether or not anything completes. Refusals have no log line each: one
    when refusing starts, one when it stops."""
    controllers = (*on_loop, *(c for c, _ in queues))
    loop = asyncio.get_running_loop()
    since, was_refusing = 0.0, False
    while True:
        due = loop.time() + period
        await asyncio.sleep(period)
        lag = max(0.0, loop.time() - due)
        now = time.monotonic()  # the clock every controller is read with
        EVENT_LOOP_LAG.observe(lag)
        for controller in on_loop:
            controller.observe(lag, now)
        for queued, oldest in queues:
            queued.observe(oldest(now), now)
        if refusing(controllers) == was_refusing:
            continue
        was_refusing = not was_refusing
        ADMISSION_REFUSING.set(1 if was_refusing else 0)
        if was_refusing:
            since = now
            log.warning(
                "overloaded: refusing writes",
                event_loop_lag_seconds=round(lag, 4),
                by=[c.name for c in controllers if c.refusing],
            )
        else:
            log.info("admitting writes again", refused_for_seconds=round(now - since, 3))
