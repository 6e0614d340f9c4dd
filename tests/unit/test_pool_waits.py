"""The pool's acquisitions still waiting: admission control reads the oldest one's age."""

from __future__ import annotations

import contextlib
import itertools

from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.postgres import AcquireWaits

COUNT = 6


def test_none_waiting_is_no_wait() -> None:
    assert AcquireWaits().oldest_wait(100.0) == 0.0


@given(st.permutations(range(COUNT)))
def test_the_oldest_wait_is_that_of_the_earliest_acquisition_still_waiting(
    finishing_order: list[int],
) -> None:
    ticks = itertools.count(10)  # acquisition i starts at 10 + i
    waits = AcquireWaits(clock=lambda: float(next(ticks)))
    acquisitions = [waits.waiting() for _ in range(COUNT)]
    for acquisition in acquisitions:
        acquisition.__enter__()
    still_waiting = set(range(COUNT))
    for index in finishing_order:
        assert waits.oldest_wait(100.0) == 100.0 - (10 + min(still_waiting))
        acquisitions[index].__exit__(None, None, None)
        still_waiting.discard(index)
    assert waits.oldest_wait(100.0) == 0.0


def test_an_acquisition_that_fails_stops_waiting() -> None:
    waits = AcquireWaits()
    with contextlib.suppress(TimeoutError), waits.waiting():
        assert waits.oldest_wait(float("inf")) > 0
        raise TimeoutError
    assert waits.oldest_wait(float("inf")) == 0.0
