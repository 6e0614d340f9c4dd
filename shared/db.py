"""PostgreSQL helpers: the pool, and the migration runner every process may call safely."""

from __future__ import annotations

import json
from importlib import resources

import asyncpg
import structlog

from shared.settings import DatabaseSettings

log = structlog.get_logger(__name__)

# Any constant works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK_ID = 7_311_906_221


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the pool's codecs (jsonb as Python values), for tools and scripts."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


async def create_pool(settings: DatabaseSettings) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        settings.url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        command_timeout=settings.command_timeout_seconds,
        init=_init_connection,
    )
    return pool


async def apply_migrations(dsn: str) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; returns those applied."""
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
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            log.info("migration applied", version=version)
            applied.append(version)
        return applied
    finally:
        await conn.close()


def _migration_files() -> list[tuple[str, str]]:
    folder = resources.files("shared") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


async def ping(pool: asyncpg.Pool) -> None:
    await pool.fetchval("SELECT 1")
