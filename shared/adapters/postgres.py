"""PostgreSQL helpers: the pool, and the migration runner every process may call safely."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Generator
from importlib import resources
from typing import Any

import asyncpg
import pydantic_core
import structlog

from shared.core.metrics import DB_POOL_WAIT
from shared.core.settings import DatabaseSettings

log = structlog.get_logger(__name__)

# Any constant works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK_ID = 7_311_906_221


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Decoded by pydantic's core: the same values as json.loads for the JSON PostgreSQL writes
    # out (big integers included), in half the time (1.8 against 3.9 us for an event body;
    # the change relay decodes one per row). Encoded by json.dumps, which refuses NaN and
    # values that are not JSON where pydantic's core would write null or a string.
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=pydantic_core.from_json, schema="pg_catalog"
    )


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the pool's codecs (jsonb as Python values), for tools and scripts."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


class PoolExhausted(Exception):
    """No connection came free within the acquire timeout: the database is saturated."""


class AcquireWaits:
    """The acquisitions of one pool still waiting for a connection, each with when it began
    (monotonic seconds): the age of the oldest is the pool's queueing delay (its sojourn
    time), which admission control watches while nothing completes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # Ordered by arrival, so the oldest is first; an OrderedDict pops from the middle in
        # O(1) and finds its first entry without walking deleted ones as a dict may.
        self._since: OrderedDict[int, float] = OrderedDict()
        self._tickets = itertools.count()

    @contextlib.contextmanager
    def waiting(self) -> Generator[None, None, None]:
        ticket = next(self._tickets)
        started = self._clock()
        self._since[ticket] = started
        try:
            yield
        finally:
            del self._since[ticket]
            DB_POOL_WAIT.observe(self._clock() - started)

    def oldest_wait(self, now: float) -> float:
        """Seconds the oldest acquisition still waiting has waited at monotonic `now` (0 when
        none waits)."""
        if not self._since:
            return 0.0
        return max(0.0, now - next(iter(self._since.values())))


class _BoundedAcquire:
    """asyncpg's acquire context, with its timeout turned into PoolExhausted and its wait
    recorded in `waits`."""

    def __init__(self, acquiring: Any, timeout: float, waits: AcquireWaits) -> None:
        self._acquiring = acquiring
        self._timeout = timeout
        self._waits = waits

    async def __aenter__(self) -> asyncpg.Connection:
        with self._waits.waiting():
            try:
                return await self._acquiring.__aenter__()
            except TimeoutError:
                raise self._exhausted() from None

    async def __aexit__(self, *exc: object) -> None:
        await self._acquiring.__aexit__(*exc)

    def __await__(self) -> Generator[Any, None, asyncpg.Connection]:
        return self._acquire().__await__()

    async def _acquire(self) -> asyncpg.Connection:
        with self._waits.waiting():
            try:
                connection: asyncpg.Connection = await self._acquiring
            except TimeoutError:
                raise self._exhausted() from None
        return connection

    def _exhausted(self) -> PoolExhausted:
        return PoolExhausted(f"no database connection free within {self._timeout} s")


class BoundedPool(asyncpg.Pool):  # type: ignore[misc]  # asyncpg ships no stubs
    """Every acquire, explicit or inside `fetch` / `execute`, waits a bounded time; `waits`
    tells how long the oldest still waiting has waited."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acquire_timeout = acquire_timeout
        self.waits = AcquireWaits()

    def acquire(self, *, timeout: float | None = None) -> Any:
        limit = self._acquire_timeout if timeout is None else timeout
        return _BoundedAcquire(super().acquire(timeout=limit), limit, self.waits)


async def create_pool(
    settings: DatabaseSettings, server_settings: dict[str, str] | None = None
) -> BoundedPool:
    """`server_settings`: session settings (GUCs) for every connection of the pool."""
    # asyncpg.create_pool has no pool class parameter; these are its own defaults.
    pool = BoundedPool(
        settings.url,
        acquire_timeout=settings.acquire_timeout_seconds,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        command_timeout=settings.command_timeout_seconds,
        init=_init_connection,
        reset=_keep_session,
        server_settings=server_settings,
    )
    await pool
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query on release. Our code leaves no session state on pooled connections
    (only SET LOCAL inside transactions, no LISTEN, no advisory locks: migrations use their
    own connection; the publisher's staging tables are temporary and emptied at every
    commit), so asyncpg's default `RESET ALL; UNLISTEN *; ...` was a database round
    trip per release, about 14% of the gateway's time in a profile. The pool still rolls back
    a transaction left open."""


async def apply_migrations(dsn: str, through: str | None = None) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; returns those applied.
    `through`: the last version to apply (a test's database as it was before a migration)."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, sql in _migration_files():
            if version in done:
                continue
            if through is not None and version > through:
                break
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            log.info("migration applied", version=version)
            applied.append(version)
        return applied
    finally:
        await conn.close()


def _migration_files() -> list[tuple[str, str]]:
    folder = resources.files("shared.adapters") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


async def ping(pool: asyncpg.Pool) -> None:
    await pool.fetchval("SELECT 1")


def read_snapshot(conn: asyncpg.Connection) -> contextlib.AbstractAsyncContextManager[Any]:
    """Statements inside it read one snapshot (REPEATABLE READ, read only), so an answer
    built from several cannot mix moments. Inside a caller's transaction, that one's view
    is kept (PostgreSQL cannot change the isolation of a transaction under way)."""
    if conn.is_in_transaction():
        return contextlib.nullcontext()
    transaction: contextlib.AbstractAsyncContextManager[Any] = conn.transaction(
        isolation="repeatable_read", readonly=True
    )
    return transaction
