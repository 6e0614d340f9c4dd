"""Tables partitioned by time (migration 0022), kept to a retention by dropping partitions.

Each table has one owning service, which calls `keep_partitions` for it: every round creates
the partitions missing from the retention's start to a few days ahead, before any row needs
them, and drops the partitions whose rows are all past the retention (one catalog change
each: no row is deleted, no vacuum debt).
Replicas of the owner may run side by side: a round takes a transaction-level advisory lock
per table and skips the table when another replica holds it, and creating or dropping is a
no-op when already done. An insert never fails for a missing partition: the DEFAULT partition
takes a row dated outside them, and its partition, when created, takes the row over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from shared.adapters.failures import STORE_MAINTENANCE_ERRORS

log = structlog.get_logger(__name__)

# Days per partition, as migration 0022 made them. A lookup that cannot name the partition (a
# key, an id) opens every partition's index, and starting a scan costs more than the lookup:
# with the keys in daily partitions (23 partitions read, outcomes included) the gateway's
# Idempotency-Key statement took about a fifth longer than with weekly ones (13).
WIDTH_DAYS = 7
LOCK_NAMESPACE = 0x5E7E  # advisory lock (namespace, hashtext(table)): one maintainer at once
# DDL waits this long at most for its lock (a long query on the table), then the round gives
# up and the next one tries again: queries that come meanwhile queue behind a waiting DROP.
_LOCK_TIMEOUT = "1s"


@dataclass(frozen=True)
class Retention:
    """`table` keeps its rows at least `keep`, and at most a partition's width (a week) longer."""

    table: str
    keep: timedelta
    ahead: timedelta = timedelta(days=3)


@dataclass(frozen=True)
class Maintained:
    created: int
    dropped: int


async def maintain(
    pool: asyncpg.Pool, retention: Retention, now: datetime | None = None
) -> Maintained | None:
    """One round for one table at `now` (the database's clock by default); None when another
    replica is maintaining it at the moment. Partitions are made from the retention's start
    too, not only from now: rows dated in the past (a backlog applied after an outage) then
    have theirs."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'")
        locked = await conn.fetchval(
            "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", LOCK_NAMESPACE, retention.table
        )
        if not locked:
            return None
        at = now or await conn.fetchval("SELECT now()")
        cutoff = at - retention.keep
        created = await conn.fetchval(
            "SELECT create_partitions($1::regclass, $2, $3::date, $4::date)",
            retention.table,
            WIDTH_DAYS,
            cutoff.astimezone(UTC).date(),
            (at + retention.ahead).astimezone(UTC).date(),
        )
        dropped = await conn.fetchval(
            "SELECT drop_partitions_before($1::regclass, $2)", retention.table, cutoff
        )
    return Maintained(created, dropped)


async def keep_partitions(
    pool: asyncpg.Pool, retentions: Sequence[Retention], every_seconds: float = 3600
) -> None:
    """Maintain each table now and every `every_seconds`; a failed round is retried next time
    (partitions are made days ahead, so a missed hour changes nothing)."""
    while True:
        for retention in retentions:
            try:
                done = await maintain(pool, retention)
            except STORE_MAINTENANCE_ERRORS as exc:
                log.warning("partition maintenance failed", table=retention.table, error=repr(exc))
                continue
            if done is not None and (done.created or done.dropped):
                hours = retention.keep / timedelta(hours=1)
                log.info("partitions maintained", table=retention.table, created=done.created,
                         dropped=done.dropped, keep_hours=hours)  # fmt: skip
        await asyncio.sleep(every_seconds)
