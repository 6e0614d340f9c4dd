"""Coalescing concurrent calls: one flush per wave of callers, answers in order, errors to
every caller of the failed flush, and a caller that gives up does not hurt the others."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest
import structlog.testing

from services.gateway.adapters.coalesce import Coalescer


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def flush(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)  # a database round trip
        if self.fail_on in items:
            raise ConnectionError("database gone")
        return [item * 10 for item in items]


async def test_a_caller_alone_is_flushed_at_once() -> None:
    recorder = Recorder()
    assert await Coalescer(recorder.flush).submit(1) == 10
    assert recorder.batches == [[1]]


async def test_callers_arriving_during_a_flush_share_the_next_one() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)  # the first flush is under way
    rest = [asyncio.create_task(coalescer.submit(n)) for n in range(2, 7)]
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40, 50, 60]
    assert recorder.batches == [[1], [2, 3, 4, 5, 6]]


async def test_batches_are_capped() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush, max_items=2)
    results = await asyncio.gather(*(coalescer.submit(n) for n in range(5)))
    assert results == [0, 10, 20, 30, 40]
    assert [len(batch) for batch in recorder.batches] == [2, 2, 1]


async def test_a_failed_flush_fails_its_callers_only() -> None:
    recorder = Recorder(fail_on=3)
    coalescer = Coalescer(recorder.flush)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)
    failing = [asyncio.create_task(coalescer.submit(n)) for n in (2, 3)]
    assert await first == 10
    for task in failing:
        with pytest.raises(ConnectionError):
            await task
    assert await coalescer.submit(4) == 40  # the next flush works again


async def test_a_caller_that_gives_up_leaves_the_others_answered() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush)
    impatient = asyncio.create_task(coalescer.submit(1))
    patient = asyncio.create_task(coalescer.submit(2))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == 20
    assert impatient.cancelled()


async def test_enqueued_items_gather_into_one_flush_and_drain_waits_for_it() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush, gather_seconds=0.05)
    coalescer.enqueue(1)
    await asyncio.sleep(0)  # the flush has begun gathering
    coalescer.enqueue(2)
    coalescer.enqueue(3)
    assert recorder.batches == []  # nobody waited, nothing flushed yet
    await coalescer.drain()
    assert recorder.batches == [[1, 2, 3]]


async def test_a_failed_flush_of_enqueued_items_is_logged_and_the_next_one_works() -> None:
    recorder = Recorder(fail_on=1)
    coalescer = Coalescer(recorder.flush)
    with structlog.testing.capture_logs() as logs:
        coalescer.enqueue(1)
        await coalescer.drain()
    assert [(entry["event"], entry["items"]) for entry in logs] == [("coalesced flush failed", 1)]
    assert await coalescer.submit(2) == 20


async def test_oldest_wait_is_the_age_of_the_oldest_item_not_yet_answered() -> None:
    answering = asyncio.Event()

    async def flush(items: Sequence[int]) -> list[int]:
        await answering.wait()  # a database that is behind
        return list(items)

    coalescer = Coalescer(flush)
    assert coalescer.oldest_wait(time.monotonic()) == 0
    before = time.monotonic()
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)  # its flush is under way: nothing is left waiting to be flushed
    assert coalescer.oldest_wait(before + 10) > 0  # yet the first is still unanswered
    await asyncio.sleep(0.01)
    between = time.monotonic()
    second = asyncio.create_task(coalescer.submit(2))  # waits behind that flush
    await asyncio.sleep(0)
    later = time.monotonic() + 10
    # the first's age, not the second's (which came after `between`)
    assert later - between < coalescer.oldest_wait(later) <= later - before
    answering.set()
    assert [await first, await second] == [1, 2]
    assert coalescer.oldest_wait(later) == 0


async def test_callers_behind_a_cancelled_flush_are_told_and_enqueued_items_kept() -> None:
    flushed: list[list[int]] = []
    flushing, failing = asyncio.Event(), asyncio.Event()

    async def flush(items: Sequence[int]) -> list[int]:
        flushed.append(list(items))
        flushing.set()
        if 1 in items:  # as asyncpg does when the flush's own task is cancelled mid-statement
            await failing.wait()
            raise asyncio.CancelledError
        return [item * 10 for item in items]

    coalescer = Coalescer(flush)
    first = asyncio.create_task(coalescer.submit(1))
    await flushing.wait()
    behind = asyncio.create_task(coalescer.submit(2))
    await asyncio.sleep(0)  # it waits for the next flush
    coalescer.enqueue(3)
    failing.set()
    # Nothing else would flush the second caller: it hears at once rather than waiting on.
    done, _ = await asyncio.wait([first, behind], timeout=1)
    assert done == {first, behind}
    assert first.cancelled()
    assert behind.cancelled()
    assert await coalescer.submit(4) == 40  # the enqueued item goes with the next flush
    assert flushed == [[1], [3, 4]]
