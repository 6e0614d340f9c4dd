"""Runs a worker's consumer loops (one per consumer of its group) inside a small ASGI app
that serves /healthz, /readyz and /metrics.

uvicorn owns the signals: SIGTERM or Ctrl-C starts its shutdown, which stops every loop
after the batch in hand is committed. If a loop dies (poison flood, unexpected error), the
process exits non-zero so a supervisor restarts it from the last committed offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import structlog
import uvicorn
from prometheus_client.registry import Collector
from starlette.applications import Starlette

from shared.runtime.ops_http import Check, ops_routes

log = structlog.get_logger(__name__)


class Loop(Protocol):
    """What a worker runs: a consumer loop, or another loop that stops the same way."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


OpenWorker = Callable[[dict[str, Check]], AbstractAsyncContextManager[Sequence[Loop]]]


def run_worker(open_worker: OpenWorker, host: str, port: int, metrics: Iterable[Collector]) -> None:
    """Serve until a signal arrives or the loop dies; exit 1 in the second case. `/metrics`
    exports `metrics`, the families the worker moves."""
    failures: list[BaseException] = []
    server: uvicorn.Server | None = None

    def loop_finished(task: asyncio.Task[None]) -> None:
        # One loop ending takes the process down: its partitions would otherwise sit idle
        # while the group believes them served.
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]
            log.error("consumer loop died", exc_info=task.exception())
        if server is not None:
            server.should_exit = True

    checks: dict[str, Check] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with open_worker(checks) as loops:
            tasks = [
                asyncio.create_task(loop.run(), name=f"consumer-loop-{number}")
                for number, loop in enumerate(loops, start=1)
            ]
            for task in tasks:
                task.add_done_callback(loop_finished)
            yield
            for loop in loops:
                loop.stop()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = Starlette(routes=ops_routes(checks, metrics), lifespan=lifespan)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, timeout_graceful_shutdown=30)
    )
    server.run()
    if failures:
        sys.exit(1)
