"""Concurrent calls coalesced into one database statement, the way group commit works.

The first caller starts a flush at once; callers that arrive while it runs wait for the next
flush, which starts as soon as the running one ends and takes all of them. A caller alone
pays no delay, and under load one statement serves many requests, so the database's work
and the round trips per request fall as the rate rises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        max_items: int = 1000,
    ) -> None:
        """`flush` answers every item of a batch, in order; its error fails the batch."""
        self._flush = flush
        self._max_items = max_items
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        answer: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_while_waiting())
        return await answer

    async def _flush_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_items]
                del self._waiting[: self._max_items]
                await self._answer(batch)
        finally:
            self._flushing = None

    async def _answer(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except BaseException as exc:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, answer), result in zip(batch, results, strict=True):
            if not answer.done():  # its caller may have given up (cancelled) meanwhile
                answer.set_result(result)
