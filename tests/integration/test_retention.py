"""Retention by partition drop, on the real PostgreSQL (migration 0022, adapters/partitions.py).

The migration converts tables that already hold rows without losing one; maintenance creates
partitions ahead and drops those past retention while rows within it stay and still answer:
an idempotent replay within the window, an operation's fate. An expired key is a new key.
Partition layouts are checked on a database of the test's own, so moving its clock (the `now`
maintenance is given) cannot drop the suite's rows; the end-to-end cases move only their own
rows between the suite's partitions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import pytest

from devstack.stack import Servers
from shared.adapters.operations import operation_key
from shared.adapters.partitions import LOCK_NAMESPACE, Maintained, Retention, maintain
from shared.adapters.postgres import apply_migrations
from shared.contracts.operations import OperationRef, operation_id
from tests.integration.conftest import Tenant
from tests.integration.test_events_api import created_event
from tests.integration.test_publisher_apply import apply, create, envelope

EVENTS = "/api/public/v1/events"
BEFORE = "0021_rate_limit_window_in_key"
NOW = datetime.now(UTC)
TODAY = NOW.date()
KEYS = Retention("idempotency_keys", timedelta(hours=192))
DELIVERIES = Retention("webhook_deliveries", timedelta(days=30))


@pytest.fixture
async def own_db(stack: Servers) -> AsyncIterator[str]:
    """A database of the test's own on the suite's server, migrated up to 0021."""
    name = f"retention_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(stack.database_url)
    await admin.execute(f"CREATE DATABASE {name}")
    dsn = stack.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await apply_migrations(dsn, through=BEFORE)
        yield dsn
    finally:
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        await admin.close()


async def _seed(conn: asyncpg.Connection, ages: list[int]) -> None:
    """One row per table and age (days before now; negative: after), as the services wrote
    them before 0022."""
    await conn.execute(
        "INSERT INTO accounts (name) VALUES ('a');"
        " INSERT INTO channels (owner_account_id, name) VALUES (1, 'c');"
        " INSERT INTO integrations (id, account_id, channel_id, name, source, verification,"
        " secret, mapping, defaults, actions) VALUES ('00000000-0000-0000-0000-000000000001',"
        " 1, 1, 'i', 'generic', 'token', 's', '{}', '{}', '{}')"
    )
    for age in ages:
        at = NOW - timedelta(days=age, minutes=1)
        await conn.execute(
            "INSERT INTO audit_log (record_id, request_id, occurred_at, method, route, path,"
            " status, duration_seconds) VALUES (gen_random_uuid(), $1, $2, 'GET', '/', '/',"
            " 200, 0.1)",
            f"age {age}",
            at,
        )
        await conn.execute(
            "INSERT INTO command_outcomes (message_id, request_id, owner_account_id, event_id,"
            " status, decided_at) VALUES (gen_random_uuid(), $1, 1, gen_random_uuid(),"
            " 'created', $2)",
            f"age {age}",
            at,
        )
        await conn.execute(
            "INSERT INTO idempotency_keys (owner_account_id, idempotency_key, request_hash,"
            " event_id, message_id, created_at) VALUES (1, $1, 'h', gen_random_uuid(),"
            " gen_random_uuid(), $2)",
            f"age {age}",
            at,
        )
        await conn.execute(
            "INSERT INTO webhook_deliveries (id, integration_id, request_id, received_at, status)"
            " VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000001', $1, $2,"
            " 'accepted')",
            f"age {age}",
            at,
        )


_TABLES = {
    "audit_log": "request_id",
    "command_outcomes": "request_id",
    "idempotency_keys": "idempotency_key",
    "webhook_deliveries": "request_id",
}


async def _rows(conn: asyncpg.Connection, table: str) -> dict[str, str]:
    """Each row's label, with the partition that holds it."""
    rows = await conn.fetch(
        f"SELECT {_TABLES[table]} AS label, tableoid::regclass::text AS part FROM {table}"  # noqa: S608
    )
    return {row["label"]: row["part"] for row in rows}


async def _partitions(conn: asyncpg.Connection | asyncpg.Pool, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT inhrelid::regclass::text AS part FROM pg_inherits WHERE inhparent = $1::regclass",
        table,
    )
    return {row["part"] for row in rows}


async def _contents(conn: asyncpg.Connection, table: str) -> list[str]:
    """Every row, whole, without the columns 0022 adds."""
    rows = await conn.fetch(
        f"SELECT (to_jsonb(t) - 'received_at' - 'created_on')::text AS row FROM {table} t"  # noqa: S608
    )
    return sorted(row["row"] for row in rows)


def _day(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def _week(table: str, at: datetime) -> str:
    """The weekly partition (Monday to Monday, UTC) holding `at`."""
    day = at.astimezone(UTC).date()
    return _day(table, day - timedelta(days=(day - date(1970, 1, 5)).days % 7))


async def test_the_migration_partitions_tables_holding_rows_without_losing_any(
    own_db: str,
) -> None:
    ages = [400, 40, 20, 5, 1, 0, -1, -30]
    conn = await asyncpg.connect(own_db)
    try:
        await _seed(conn, ages)
        before = {table: await _contents(conn, table) for table in _TABLES}
        applied = await apply_migrations(own_db)
        assert applied[0] == "0022_partitioned_retention", applied  # then any later ones
        for table in _TABLES:
            assert await _contents(conn, table) == before[table], table
            assert await conn.fetchval(
                "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = $1::regclass", table
            )
            where = await _rows(conn, table)
            assert set(where) == {f"age {age}" for age in ages}, table
            assert where["age 400"] == f"{table}_older"  # dropped by the first maintenance
            assert where["age -30"] == f"{table}_default"  # beyond the partitions made ahead
            assert where["age 0"] not in (f"{table}_older", f"{table}_default")
        keys = await _rows(conn, "idempotency_keys")
        assert keys["age 1"] == _week("idempotency_keys", NOW - timedelta(days=1, minutes=1))
        # Each ON CONFLICT target is the partitioned table's primary key.
        again = await conn.fetch(
            "INSERT INTO audit_log SELECT * FROM audit_log"
            " ON CONFLICT (record_id, occurred_at) DO NOTHING RETURNING record_id"
        )
        assert again == []
        again = await conn.fetch(
            "INSERT INTO command_outcomes SELECT * FROM command_outcomes"
            " ON CONFLICT (message_id, received_at) DO NOTHING RETURNING message_id"
        )
        assert again == []
    finally:
        await conn.close()


async def test_maintenance_makes_partitions_ahead_and_drops_those_past_retention(
    own_db: str,
) -> None:
    conn = await asyncpg.connect(own_db)
    pool = await asyncpg.create_pool(own_db, min_size=1, max_size=2)
    assert pool is not None
    try:
        await _seed(conn, [40, 29, 0, -30])
        await apply_migrations(own_db)
        later = NOW + timedelta(days=30)
        done = await maintain(pool, DELIVERIES, now=later)
        assert done is not None
        assert done.created >= 1
        assert done.dropped >= 4
        parts = await _partitions(conn, "webhook_deliveries")
        assert {
            _week("webhook_deliveries", later),
            _week("webhook_deliveries", later + DELIVERIES.ahead),
        } <= parts
        assert "webhook_deliveries_older" not in parts
        # 40 and 29 days old are past 30 days at `later`; the row dated then has left DEFAULT
        # for the partition made ahead.
        assert await _rows(conn, "webhook_deliveries") == {
            "age 0": _week("webhook_deliveries", NOW - timedelta(minutes=1)),
            "age -30": _week("webhook_deliveries", later - timedelta(minutes=1)),
        }
        # A second round finds nothing to do; a replica holding the table's lock is left alone.
        assert await maintain(pool, DELIVERIES, now=later) == Maintained(0, 0)
        async with conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext('webhook_deliveries'))", LOCK_NAMESPACE
            )
            assert await maintain(pool, DELIVERIES, now=later) is None
    finally:
        await pool.close()
        await conn.close()


async def test_a_key_claimed_on_an_earlier_day_still_deduplicates_in_the_publisher(
    db: asyncpg.Pool, tenant: Tenant
) -> None:
    first = [envelope(tenant, create(tenant, title=f"Kept {i}"), key=f"kept-{i}-{uuid.uuid4()}")
             for i in range(3)]  # fmt: skip
    assert await apply(db, first) == ["created"] * 3
    keys = [e.idempotency_key for e in first]
    await _claimed_on(db, tenant, keys, TODAY - timedelta(days=3))
    # Retries, new message ids: the set-based path (all three) and the one-by-one path (one).
    retries = [envelope(tenant, e.command, key=e.idempotency_key) for e in first]
    assert await apply(db, retries) == ["duplicate"] * 3
    assert await apply(db, retries[:1]) == ["duplicate"]
    other_body = first[0].model_copy(update={"message_id": uuid.uuid4(), "request_hash": "other"})
    assert await apply(db, [other_body]) == ["rejected"]  # idempotency_key_reused
    rows = await db.fetch(
        "SELECT idempotency_key, created_on FROM idempotency_keys"
        " WHERE owner_account_id = $1 AND idempotency_key = ANY($2::text[])",
        tenant.account_id,
        keys,
    )
    assert sorted(r["created_on"] for r in rows) == [TODAY - timedelta(days=3)] * 3


async def _claimed_on(db: asyncpg.Pool, tenant: Tenant, keys: list[str], day: date) -> None:
    """Move the keys' claims to `day`'s partition, as if they had been made then."""
    await db.execute(
        "UPDATE idempotency_keys SET created_on = $3, created_at = $3::date"
        " WHERE owner_account_id = $1 AND idempotency_key = ANY($2::text[])",
        tenant.account_id,
        keys,
        day,
    )


async def test_a_key_answers_within_its_window_and_is_new_once_its_partition_is_dropped(
    api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant
) -> None:
    posted = await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
    event = await created_event(api, tenant, posted)
    url, key = f"{EVENTS}/{event['id']}", f"retained-{uuid.uuid4()}"
    keyed = {**tenant.headers, "Idempotency-Key": key}
    first = await api.patch(url, json={"title": "Moved once"}, headers=keyed)
    assert first.status_code == 200, first.text

    await _claimed_on(db, tenant, [key], TODAY - timedelta(days=7))  # within 192 h
    replay = await api.patch(url, json={"title": "Moved once"}, headers=keyed)
    assert (replay.status_code, replay.json()["title"]) == (200, "Moved once")
    reused = await api.patch(url, json={"title": "Moved twice"}, headers=keyed)
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "idempotency_key_reused")

    expired = TODAY - timedelta(days=16)  # its week ended 9 days ago or earlier: past 192 h
    await db.execute("SELECT create_partitions('idempotency_keys', 7, $1::date, $1::date)", expired)
    await _claimed_on(db, tenant, [key], expired)
    assert await db.fetchval(
        "SELECT tableoid::regclass::text FROM idempotency_keys WHERE idempotency_key = $1", key
    ) == _week("idempotency_keys", datetime.combine(expired, datetime.min.time(), UTC))
    done = await maintain(db, KEYS)
    assert done is not None
    assert done.dropped >= 1
    assert _week("idempotency_keys", datetime.combine(expired, datetime.min.time(), UTC)) not in (
        await _partitions(db, "idempotency_keys")
    )
    # A new key now: the other body is applied, not refused.
    renewed = await api.patch(url, json={"title": "Moved twice"}, headers=keyed)
    assert (renewed.status_code, renewed.json()["title"]) == (200, "Moved twice")


async def test_an_operation_reads_its_fate_from_its_partition_and_expires_past_retention(
    api: httpx.AsyncClient, db: asyncpg.Pool, tenant: Tenant
) -> None:
    key = await operation_key(db)
    event_id, message_id = uuid.uuid4(), uuid.uuid4()
    accepted = NOW - timedelta(days=20)
    await db.execute(
        "INSERT INTO command_outcomes (message_id, request_id, owner_account_id, event_id,"
        " status, decided_at, received_at) VALUES ($1, 'req_old', $2, $3, 'created', $4, $4)",
        message_id, tenant.account_id, event_id, accepted,
    )  # fmt: skip
    kept = _operation(key, tenant, message_id, event_id, accepted)
    answer = await api.get(f"/api/public/v1/operations/{kept}", headers=tenant.headers)
    assert (answer.status_code, answer.json()["status"]) == (200, "applied"), answer.text
    gone = _operation(key, tenant, uuid.uuid4(), event_id, accepted)
    answer = await api.get(f"/api/public/v1/operations/{gone}", headers=tenant.headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "operation_expired")


def _operation(
    key: bytes, tenant: Tenant, message_id: uuid.UUID, event_id: uuid.UUID, at: datetime
) -> str:
    ref = OperationRef(message_id, event_id, tenant.account_id, at, "create_event")
    return operation_id(ref, key)
