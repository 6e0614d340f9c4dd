"""The idempotency-key statements run on every event look keys up by their primary key,
whatever the statistics say, so their cost does not grow with a week's worth of keys.

Each plan is read with EXPLAIN inside a transaction that is rolled back: 30,000 keys claimed
today by one account (analysed), and, for the gateway's claims table, 20,000 claims released
but not yet vacuumed, which is what a busy gateway leaves between autovacuum runs."""

from __future__ import annotations

import json
from typing import cast

import asyncpg

from services.gateway.adapters.claims import LOOK_UP_OR_CLAIM_SQL
from services.gateway.adapters.events import BATCH_KEYS_SQL, EventStore
from services.publisher.bulk import CLAIM_MANY_SQL, STAGE_SQL
from tests.integration.plan_support import plan_reads

KEYS = 30_000

_FILL_KEYS = """
INSERT INTO idempotency_keys (owner_account_id, idempotency_key, request_hash, event_id,
    message_id)
SELECT $1, 'plan-' || i, 'hash', gen_random_uuid(), gen_random_uuid()
FROM generate_series(1, $2::int) AS i
"""

_RELEASED_CLAIMS = """
WITH claimed AS (
    INSERT INTO idempotency_inflight (owner_account_id, idempotency_key, expires_at,
        request_hash)
    SELECT $1, 'gone-' || i, now() + interval '1 minute', 'hash'
    FROM generate_series(1, 20000) AS i
    RETURNING owner_account_id, idempotency_key
)
SELECT count(*) FROM claimed
"""


async def _filled(conn: asyncpg.Connection) -> tuple[int, str]:
    """The account and the partition holding its keys."""
    account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('plans') RETURNING id")
    await conn.execute(_FILL_KEYS, account, KEYS)
    await conn.execute("ANALYZE idempotency_keys")
    partition = await conn.fetchval(
        "SELECT tableoid::regclass::text FROM idempotency_keys WHERE owner_account_id = $1 LIMIT 1",
        account,
    )
    return account, partition


async def test_the_publisher_finds_earlier_claims_by_key(rolled_back: asyncpg.Connection) -> None:
    conn = rolled_back
    account, partition = await _filled(conn)
    await conn.execute(STAGE_SQL)
    await conn.execute(
        "INSERT INTO staged_creates (owner_account_id, idempotency_key, request_hash, "
        "event_id, message_id) SELECT $1, 'new-' || i, 'hash', gen_random_uuid(), "
        "gen_random_uuid() FROM generate_series(1, 4) AS i",
        account,
    )
    plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {CLAIM_MANY_SQL}"))
    reads = plan_reads(plan, partition)
    assert reads, f"the plan does not read {partition}: {json.dumps(plan)[:2000]}"
    assert all("Index" in n["Node Type"] for n in reads), json.dumps(plan, indent=1)[:3000]
    assert len(await conn.fetch(CLAIM_MANY_SQL)) == 4


async def test_the_gateway_finds_a_keys_holder_by_key(rolled_back: asyncpg.Connection) -> None:
    conn = rolled_back
    account, partition = await _filled(conn)
    await conn.fetchval(_RELEASED_CLAIMS, account)
    await conn.execute("DELETE FROM idempotency_inflight WHERE owner_account_id = $1", account)
    await conn.execute("ANALYZE idempotency_inflight")
    args = ([account, account], ["plan-1", "new-1"], 30.0, ["hash", "hash"])
    plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {LOOK_UP_OR_CLAIM_SQL}", *args))
    rows = await conn.fetch(LOOK_UP_OR_CLAIM_SQL, *args)
    held = [n for n in plan_reads(plan, "idempotency_inflight") if n["Node Type"] != "ModifyTable"]
    assert held, json.dumps(plan)[:2000]
    assert all(n["Node Type"] == "Index Scan" and n.get("Index Cond") for n in held), held
    keys = plan_reads(plan, partition)
    assert keys
    assert all("Index" in n["Node Type"] for n in keys), keys
    assert [r["event_id"] is not None for r in rows] == [True, False]  # a prior, then new
    assert [r["claimed_until"] is not None for r in rows] == [False, True]  # claimed: new-1


async def test_a_batchs_keys_are_looked_up_one_by_one_under_a_generic_plan(
    rolled_back: asyncpg.Connection,
) -> None:
    """The gateway's key pool plans once for all values; a batch's 500 keys are each found by
    key, not compared with every row of the partition."""
    conn = rolled_back
    account, partition = await _filled(conn)
    await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    store = EventStore(cast(asyncpg.Pool, conn))
    wanted = [f"plan-{i}" for i in range(1, 501, 2)] + [f"never-{i}" for i in range(250)]
    sql = "EXPLAIN (FORMAT JSON) " + BATCH_KEYS_SQL
    plan = json.loads(await conn.fetchval(sql, account, wanted))
    keys = plan_reads(plan, partition)
    assert keys
    assert all("Index" in n["Node Type"] for n in keys), json.dumps(plan, indent=1)[:3000]
    found = await store.idempotency_records(account, wanted)
    assert sorted(found) == sorted(f"plan-{i}" for i in range(1, 501, 2))
    assert all(record.rejection is None for record in found.values())
