"""Concurrent calls coalesced into one database statement, the way group commit works.

The first caller starts a flush at once; callers that arrive while it runs wait for the next
flush, which starts as soon as the running one ends and takes all of them. A caller alone
pays no delay, and under load one statement serves many requests, so the database's work
and the round trips per request fall as the rate rises.

A coalescer for work nobody waits for (`enqueue`) can instead gather for a moment before
each flush (`gather_seconds`, which delays every flush, so not for callers who wait): at a
moderate rate the calls of a few milliseconds then share one statement instead of each
paying its own.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        max_items: int = 1000,
        gather_seconds: float = 0.0,
    ) -> None:
        """`flush` answers every item of a batch, in order; its error fails the batch's
        waiting callers. `gather_seconds`: how long a flush waits for more items first."""
        self._flush = flush
        self._max_items = max_items
        self._gather_seconds = gather_seconds
        # Each item with its answer (None: nobody waits) and when it came (monotonic).
        self._waiting: list[tuple[Item, asyncio.Future[Result] | None, float]] = []
        self._flushing: asyncio.Task[None] | None = None
        self._in_flush_since: float | None = None  # arrival of the flushing batch's oldest

    async def submit(self, item: Item) -> Result:
        answer: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer, time.monotonic()))
        self._start_flushing()
        return await answer

    def enqueue(self, item: Item) -> None:
        """`item` goes with a coming flush; nobody waits for its answer, so a flush used this
        way handles (logs) its own errors."""
        self._waiting.append((item, None, time.monotonic()))
        self._start_flushing()

    def oldest_wait(self, now: float) -> float:
        """Seconds the oldest item not yet answered has waited at monotonic `now` (0 when
        none waits): the queue's sojourn time, for admission control."""
        since = self._in_flush_since
        if since is None:
            since = self._waiting[0][2] if self._waiting else now
        return max(0.0, now - since)

    async def drain(self) -> None:
        """Return once every item given so far has been flushed (at shutdown)."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    def _start_flushing(self) -> None:
        if self._flushing is None:
            # A context of its own: the task outlives the request that started it and serves
            # many others, so it must not log under that request's id.
            self._flushing = asyncio.create_task(
                self._flush_while_waiting(), context=contextvars.Context()
            )

    async def _flush_while_waiting(self) -> None:
        try:
            while self._waiting:
                if self._gather_seconds:
                    await asyncio.sleep(self._gather_seconds)
                batch = self._waiting[: self._max_items]
                del self._waiting[: self._max_items]
                self._in_flush_since = batch[0][2]
                await self._answer(batch)
                self._in_flush_since = None
        except asyncio.CancelledError:
            # No flush runs until another item comes, which at shutdown may be never: callers
            # still waiting hear now. Items nobody waits for stay for that next flush.
            self._cancel_waiting_callers()
            raise
        finally:
            self._flushing = None
            self._in_flush_since = None

    def _cancel_waiting_callers(self) -> None:
        kept = []
        for entry in self._waiting:
            answer = entry[1]
            if answer is None:
                kept.append(entry)
            else:
                answer.cancel()
        self._waiting = kept

    async def _answer(self, batch: list[tuple[Item, asyncio.Future[Result] | None, float]]) -> None:
        try:
            results = await self._flush([item for item, _, _ in batch])
        except BaseException as exc:
            unawaited = 0
            for _, answer, _ in batch:
                if answer is None:
                    unawaited += 1
                elif not answer.done():
                    answer.set_exception(exc)
            if unawaited:  # a flush that was to handle its own errors let one through
                log.error("coalesced flush failed", error=repr(exc), items=unawaited)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, answer, _), result in zip(batch, results, strict=True):
            # its caller may have given up (cancelled) meanwhile
            if answer is not None and not answer.done():
                answer.set_result(result)
