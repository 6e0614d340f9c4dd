"""PostgreSQL's announcements of changed keys and channel memberships (migration 0009's
triggers NOTIFY at commit), heard on one connection of their own."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import asyncpg
import structlog

from shared.adapters.failures import STORE_MAINTENANCE_ERRORS
from shared.core.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

CHANGES_CHANNEL = "pinned_access_changed"
LISTENER_NAME = "pinned-gateway-access-changes"  # application_name in pg_stat_activity


class ChangeSubscriber(Protocol):
    """What hears the announcements: whether they are being heard, and each one."""

    def go_live(self) -> None: ...
    def go_dark(self) -> None: ...
    def changed(self, announcement: str) -> None: ...


class ChangeListener:
    """Holds one connection LISTENing for access changes; reconnects after losing it."""

    def __init__(self, dsn: str, cache: ChangeSubscriber, retry_seconds: float = 1.0) -> None:
        self._dsn = dsn
        self._cache = cache
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self, wait_seconds: float = 5.0) -> None:
        """Start listening; returns once listening (or after `wait_seconds`, uncached)."""
        self._task = asyncio.create_task(self._listen_forever(), name="access-change-listener")
        try:
            await asyncio.wait_for(self._listening.wait(), wait_seconds)
        except TimeoutError:
            log.warning("access changes not announced yet: keys and channels read uncached")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen_once()
            except STORE_MAINTENANCE_ERRORS as exc:
                log.warning("access change listener lost its connection", error=repr(exc))
            await asyncio.sleep(self._retry)

    async def _listen_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": LISTENER_NAME}
        )
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(CHANGES_CHANNEL, self._on_change)
            self._cache.go_live()
            self._listening.set()
            await lost.wait()
        finally:
            self._cache.go_dark()
            self._listening.clear()
            if not conn.is_closed():
                await conn.close(timeout=2)

    def _on_change(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._cache.changed(payload)
