"""Retention by batched deletes, on the real PostgreSQL (migration 0024,
adapters/row_retention.py): people's inboxes and the sessions of people and portal users.

A round deletes the rows past the retention and nothing else, however many batches that
takes, and does nothing while another replica holds the table. Rounds run on a database of
the test's own, so their counts are exactly the test's rows; the last test starts a gateway
and a discovery of its own on the suite's database and sees each delete the sessions it
owns at start-up.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest

from devstack.stack import TEST, Servers, ServiceProcess, service_env, shifted
from shared.adapters.postgres import apply_migrations
from shared.adapters.row_retention import (
    BATCH_ROWS,
    LOCK_NAMESPACE,
    SESSION_ENDED,
    RowRetention,
    batch_statement,
    delete_expired,
)
from tests.integration.conftest import eventually

INBOX = RowRetention("notifications", "created_at", timedelta(days=180))
# As each owner builds them, with the index migration 0024 made for each.
RETENTIONS = {
    "notifications": (INBOX, "notifications_created"),
    "person_sessions": (
        RowRetention("person_sessions", SESSION_ENDED, timedelta(days=30)),
        "person_sessions_ended",
    ),
    "portal_sessions": (
        RowRetention("portal_sessions", SESSION_ENDED, timedelta(days=30)),
        "portal_sessions_ended",
    ),
}


@dataclass(frozen=True)
class Owners:
    """A session table and the table of whoever holds its sessions."""

    sessions: str
    holders: str
    holder_column: str


PEOPLE = Owners("person_sessions", "people", "person_id")
PORTAL = Owners("portal_sessions", "portal_users", "user_id")


@pytest.fixture
async def own_pool(stack: Servers) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a migrated database of the test's own, on the suite's server."""
    name = f"rows_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(stack.database_url)
    await admin.execute(f"CREATE DATABASE {name}")
    dsn = stack.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await apply_migrations(dsn)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        await admin.close()


async def _holder(db: asyncpg.Pool | asyncpg.Connection, owners: Owners) -> int:
    """A new person (people) or operator (portal_users)."""
    email = f"{uuid.uuid4().hex[:12]}@rows.example"
    if owners.holders == "people":
        sql = "INSERT INTO people (email, email_key, display_name, password_hash)"
        sql += " VALUES ($1, $1, 'Rows', 'x') RETURNING id"
    else:
        sql = "INSERT INTO portal_users (role, email, email_key) VALUES ('operator', $1, $1)"
        sql += " RETURNING id"
    holder: int = await db.fetchval(sql, email)
    return holder


async def _notices(db: asyncpg.Pool, person_id: int, age: timedelta, count: int = 1) -> None:
    await db.execute(
        "INSERT INTO notifications (id, person_id, kind, title, body, created_at, read_at)"
        " SELECT gen_random_uuid(), $1, 'reminder', 'Soon', $2, now() - $3::interval,"
        " CASE WHEN i % 2 = 0 THEN now() END FROM generate_series(1, $4) AS i",
        person_id,
        f"{age.days} days",
        age,
        count,
    )


async def _bodies(db: asyncpg.Pool, person_id: int) -> list[str]:
    rows = await db.fetch("SELECT body FROM notifications WHERE person_id = $1", person_id)
    return sorted(row["body"] for row in rows)


async def test_notices_past_the_retention_go_and_newer_ones_stay_read_or_not(
    own_pool: asyncpg.Pool,
) -> None:
    person = await _holder(own_pool, PEOPLE)
    for days in (400, 181, 179, 30, 0):
        await _notices(own_pool, person, timedelta(days=days), count=2)  # one read, one not
    assert await delete_expired(own_pool, INBOX) == 4
    assert await _bodies(own_pool, person) == ["0 days"] * 2 + ["179 days"] * 2 + ["30 days"] * 2
    assert await delete_expired(own_pool, INBOX) == 0  # nothing left to do


# (label, expires in, revoked ago): each session's end is its expiry or its revocation,
# whichever came first; with a 30-day retention only those ended more than 30 days ago go.
SESSIONS = {
    "active": (timedelta(days=10), None),
    "expired 31 days ago": (timedelta(days=-31), None),
    "expired 29 days ago": (timedelta(days=-29), None),
    "revoked 31 days ago, before its expiry": (timedelta(days=300), timedelta(days=31)),
    "revoked 29 days ago, before its expiry": (timedelta(days=300), timedelta(days=29)),
    "revoked yesterday, expired 40 days ago": (timedelta(days=-40), timedelta(days=1)),
}
GONE = {"expired 31 days ago", "revoked 31 days ago, before its expiry",
        "revoked yesterday, expired 40 days ago"}  # fmt: skip


async def _session(
    db: asyncpg.Pool | asyncpg.Connection,
    owners: Owners,
    holder: int,
    label: str,
    expires_in: timedelta,
    revoked_ago: timedelta | None,
) -> None:
    """A session of `holder`, labelled by its user agent, signed in 400 days ago."""
    columns = f"id, {owners.holder_column}, token_hash, created_at, expires_at, revoked_at,"
    await db.execute(
        f"INSERT INTO {owners.sessions} ({columns} last_seen_at, user_agent)"  # noqa: S608
        " VALUES (gen_random_uuid(), $1, sha256(gen_random_uuid()::text::bytea),"
        " now() - interval '400 days', now() + $2::interval, now() - $3::interval,"
        " now() - interval '400 days', $4)",
        holder,
        expires_in,
        revoked_ago,
        label,
    )


async def _labels(db: asyncpg.Pool, owners: Owners, holder: int) -> set[str]:
    rows = await db.fetch(
        f"SELECT user_agent FROM {owners.sessions} WHERE {owners.holder_column} = $1",  # noqa: S608
        holder,
    )
    return {row["user_agent"] for row in rows}


@pytest.mark.parametrize("owners", [PEOPLE, PORTAL], ids=lambda o: o.sessions)
async def test_sessions_ended_past_the_retention_go_and_the_others_stay(
    own_pool: asyncpg.Pool, owners: Owners
) -> None:
    holder = await _holder(own_pool, owners)
    for label, (expires_in, revoked_ago) in SESSIONS.items():
        await _session(own_pool, owners, holder, label, expires_in, revoked_ago)
    retention, _ = RETENTIONS[owners.sessions]
    assert await delete_expired(own_pool, retention) == len(GONE)
    assert await _labels(own_pool, owners, holder) == set(SESSIONS) - GONE


async def test_a_round_deletes_batch_after_batch_until_none_is_left(
    own_pool: asyncpg.Pool,
) -> None:
    person = await _holder(own_pool, PEOPLE)
    await _notices(own_pool, person, timedelta(days=200), count=9)
    await _notices(own_pool, person, timedelta(days=1), count=2)
    assert await delete_expired(own_pool, INBOX, batch_rows=4) == 9  # 4, 4 and 1
    assert await _bodies(own_pool, person) == ["1 days"] * 2
    # A last batch exactly full: the round looks once more and finds nothing.
    await _notices(own_pool, person, timedelta(days=200), count=8)
    assert await delete_expired(own_pool, INBOX, batch_rows=4) == 8
    assert await _bodies(own_pool, person) == ["1 days"] * 2


async def test_a_round_leaves_the_table_to_the_replica_holding_it(own_pool: asyncpg.Pool) -> None:
    person = await _holder(own_pool, PEOPLE)
    await _notices(own_pool, person, timedelta(days=200), count=10)
    async with own_pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext('notifications'))", LOCK_NAMESPACE
        )
        assert await delete_expired(own_pool, INBOX) is None
        assert len(await _bodies(own_pool, person)) == 10
    # Two replicas at once: each batch is one replica's alone, and every row goes once.
    rounds = await asyncio.gather(*(delete_expired(own_pool, INBOX, batch_rows=3)
                                    for _ in range(2)))  # fmt: skip
    assert sum(done or 0 for done in rounds) == 10
    assert await _bodies(own_pool, person) == []


@pytest.mark.parametrize("table", ["notifications", "person_sessions", "portal_sessions"])
async def test_the_rows_past_the_retention_are_found_through_an_index(
    own_pool: asyncpg.Pool, table: str
) -> None:
    """The expression a batch tests is the one migration 0024 indexed: on a big table a batch
    reads only expired rows, never the whole table (EXPLAIN alone deletes nothing)."""
    retention, index = RETENTIONS[table]
    async with own_pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        lines = await conn.fetch(
            "EXPLAIN " + batch_statement(retention), retention.keep, BATCH_ROWS
        )
    plan = "\n".join(line[0] for line in lines)
    assert f"Index Scan using {index}" in plan or f"Bitmap Index Scan on {index}" in plan, plan


async def test_the_gateway_and_discovery_delete_the_ended_sessions_they_own(
    stack: Servers, db: asyncpg.Pool
) -> None:
    """Each owner's first round runs at start-up, then hourly."""
    holders = {owners: await _holder(db, owners) for owners in (PEOPLE, PORTAL)}
    for owners, holder in holders.items():
        for label, (expires_in, revoked_ago) in SESSIONS.items():
            await _session(db, owners, holder, label, expires_in, revoked_ago)
    env = service_env(stack, {"GATEWAY_ADMISSION_ENABLED": "false"})
    logs = TEST.base_dir / "logs" / "row-retention"
    started = [
        ServiceProcess("gateway", shifted(18095), env, logs),
        ServiceProcess("discovery", shifted(18096), env, logs),
    ]
    try:
        for service in started:
            service.start()
        for owners, holder in holders.items():

            async def gone(owners: Owners = owners, holder: int = holder) -> bool:
                return await _labels(db, owners, holder) == set(SESSIONS) - GONE

            await eventually(gone)
    finally:
        for service in started:
            service.stop()
