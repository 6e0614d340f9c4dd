"""Tables kept to a retention by deleting their old rows in batches, for tables that cannot be
partitioned by time (shared/adapters/partitions.py): people's inboxes, whose ids are derived
from what a notice is about so that a redelivery is stored once (a time in the primary key
would break that), and sessions, whose end is not known when they are written.

Each table has one owning service, which calls `keep_rows` for it: at start and then hourly, a
round deletes the rows dated before the retention's start, `BATCH_ROWS` at a time, each batch
its own short transaction (row locks held briefly, vacuum reclaims behind it), until a batch
comes back short. Replicas of the owner may run side by side: each batch takes a
transaction-level advisory lock per table, and a round stops at the first batch that finds
another replica holding it (pooled connections keep no session-level lock: no reset on release).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog

from shared.adapters.failures import STORE_MAINTENANCE_ERRORS
from shared.core.metrics import RETENTION_ROWS_DELETED

log = structlog.get_logger(__name__)

# Rows per DELETE: a few hundred milliseconds of work at most, row locks held that long.
BATCH_ROWS = 5000
LOCK_NAMESPACE = 0x5E7F  # advisory lock (namespace, hashtext(table)); partitions use 0x5E7E
# When a session (person_sessions, portal_sessions) ended: it expired or was revoked, whichever
# came first (LEAST ignores NULL). Migration 0024 indexes this very expression.
SESSION_ENDED = "least(expires_at, revoked_at)"


@dataclass(frozen=True)
class RowRetention:
    """`table`'s rows are deleted once `dated_by` (an SQL expression on its row, indexed, that
    never moves later) is more than `keep` ago. The table's key is `id`."""

    table: str
    dated_by: str
    keep: timedelta


def batch_statement(retention: RowRetention) -> str:
    """One batch: deletes at most $2 rows dated more than $1 ago, and counts them."""
    table, dated = retention.table, retention.dated_by
    # The outer test repeats the inner one: a row changed meanwhile is deleted only if it is
    # still past the retention.
    return f"""
    WITH gone AS (
        DELETE FROM {table} WHERE id = ANY(ARRAY(
            SELECT id FROM {table} WHERE {dated} < now() - $1::interval LIMIT $2
        )) AND {dated} < now() - $1::interval
        RETURNING 1
    )
    SELECT count(*) FROM gone
    """  # noqa: S608  (table and expression are constants of the owning service)


async def delete_expired(
    pool: asyncpg.Pool, retention: RowRetention, batch_rows: int = BATCH_ROWS
) -> int | None:
    """One round for one table: how many rows it deleted, or None when another replica was
    deleting them at the moment."""
    statement, deleted = batch_statement(retention), 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            locked = await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock($1, hashtext($2))",
                LOCK_NAMESPACE,
                retention.table,
            )
            if not locked:  # another replica is at it, and carries on from here
                return deleted or None
            batch: int = await conn.fetchval(statement, retention.keep, batch_rows)
        deleted += batch
        if batch < batch_rows:
            return deleted


async def keep_rows(
    pool: asyncpg.Pool, retentions: Sequence[RowRetention], every_seconds: float = 3600
) -> None:
    """Delete each table's expired rows now and every `every_seconds`; a failed round is
    retried next time (what it missed is deleted then)."""
    while True:
        for retention in retentions:
            try:
                deleted = await delete_expired(pool, retention)
            except STORE_MAINTENANCE_ERRORS as exc:
                log.warning("row retention failed", table=retention.table, error=repr(exc))
                continue
            if deleted:
                RETENTION_ROWS_DELETED.labels(retention.table).inc(deleted)
                days = retention.keep / timedelta(days=1)
                log.info("expired rows deleted", table=retention.table, rows=deleted,
                         keep_days=days)  # fmt: skip
        await asyncio.sleep(every_seconds)
