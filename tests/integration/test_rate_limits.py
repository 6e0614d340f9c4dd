"""Rate limits hold for the deployment, not per process: two gateways share one quota."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from devstack.stack import Servers, ServiceProcess, shifted
from shared.adapters import key_store
from shared.adapters.rate_limits import LEASE_SHARE, Limit, RateLimiter
from shared.domain.api_keys import OWNER_SCOPES, Scope
from tests.integration.conftest import (
    CREATE_QUOTA,
    KEY_MANAGEMENT_QUOTA,
    KEY_QUOTA,
    MakeTenant,
    Tenant,
    gateways,
)

CHANNELS = "/api/public/v1/channels"
EVENTS = "/api/public/v1/events"
KEYS = "/api/developer/v1/keys"


async def test_two_gateways_share_the_per_key_quota(
    two_gateways: list[str], tenant: Tenant
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        answers = []
        for index in range(KEY_QUOTA):
            url = two_gateways[index % 2] + CHANNELS
            answers.append(await client.get(url, headers=tenant.headers))
        assert [a.status_code for a in answers] == [200] * KEY_QUOTA
        assert answers[-1].headers["ratelimit"].startswith('"key";r=0;')
        assert f'"key";q={KEY_QUOTA};w=3600' in answers[0].headers["ratelimit-policy"]

        refused = await client.get(two_gateways[0] + CHANNELS, headers=tenant.headers)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert refused.headers["ratelimit"].startswith('"key";r=0;')


async def test_route_quota_for_event_creation_is_stricter(
    two_gateways: list[str], tenant: Tenant
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        statuses = []
        for index in range(CREATE_QUOTA + 1):
            response = await client.post(
                two_gateways[index % 2] + EVENTS, json=tenant.event(), headers=tenant.headers
            )
            statuses.append(response.status_code)
        assert statuses == [202] * CREATE_QUOTA + [429]
        assert response.headers["ratelimit"].startswith('"events-create";r=0;')
        # Other routes still have room under the key's own quota.
        listed = await client.get(two_gateways[1] + CHANNELS, headers=tenant.headers)
        assert listed.status_code == 200


async def test_a_request_missing_the_scope_spends_no_route_quota(
    two_gateways: list[str], make_tenant: MakeTenant
) -> None:
    reader = await make_tenant(scopes=(Scope.CHANNELS_READ,))
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(CREATE_QUOTA + 1):
            refused = await client.post(
                two_gateways[0] + EVENTS, json=reader.event(), headers=reader.headers
            )
            assert refused.json()["error"]["code"] == "missing_scope"
            assert "events-create" not in refused.headers["ratelimit-policy"]
        # The key's own quota counted them: they are requests all the same.
        assert refused.headers["ratelimit"].startswith(f'"key";r={KEY_QUOTA - CREATE_QUOTA - 1};')


async def test_concurrent_requests_never_exceed_the_quota(
    two_gateways: list[str], tenant: Tenant
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(
            *(
                client.get(two_gateways[i % 2] + CHANNELS, headers=tenant.headers)
                for i in range(KEY_QUOTA * 3)
            )
        )
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == KEY_QUOTA
    assert statuses.count(429) == KEY_QUOTA * 2


async def test_key_management_quota_is_per_owner_across_its_keys(
    two_gateways: list[str], tenant: Tenant, db: asyncpg.Pool
) -> None:
    async with db.acquire() as conn:
        second = await key_store.issue(
            conn, tenant.account_id, "second owner key", OWNER_SCOPES, actor="tests"
        )
    owner_keys = [tenant.owner_headers, {"Authorization": f"Bearer {second.token}"}]
    async with httpx.AsyncClient(timeout=30) as client:
        statuses = []
        for index in range(KEY_MANAGEMENT_QUOTA + 1):
            response = await client.get(
                two_gateways[index % 2] + KEYS, headers=owner_keys[index % 2]
            )
            statuses.append(response.status_code)
        assert statuses == [200] * KEY_MANAGEMENT_QUOTA + [429]
        assert response.headers["ratelimit"].startswith('"key-management";r=0;')
        assert response.json()["error"]["code"] == "rate_limited"
        # The account's integration key is not held back by its owner's key management.
        listed = await client.get(two_gateways[0] + CHANNELS, headers=tenant.headers)
        assert listed.status_code == 200


async def test_pruning_keeps_live_counters_of_longer_windows(db: asyncpg.Pool) -> None:
    # A gateway with a 60 s window prunes the shared table; it must not delete the live
    # counters of gateways with a one-hour window (it once did, resetting their quotas).
    from shared.adapters.rate_limits import PRUNE_COUNTERS as PRUNE

    now = int(time.time())
    hour, old_minute = now // 3600 * 3600, (now - 600) // 60 * 60
    tag = f"prune-test-{now}"
    await db.execute(
        "INSERT INTO rate_limit_counters (bucket, window_start, hits, window_seconds)"
        " VALUES ($1, $2, 5, 3600), ($3, $4, 5, 60)",
        f"{tag}-hour",
        hour,
        f"{tag}-minute",
        old_minute,
    )
    await db.execute(PRUNE)
    left = await db.fetch("SELECT bucket FROM rate_limit_counters WHERE bucket LIKE $1", f"{tag}-%")
    assert [r["bucket"] for r in left] == [f"{tag}-hour"]


async def test_a_window_of_another_length_starting_the_same_second_is_another_count(
    db: asyncpg.Pool,
) -> None:
    # At the top of an hour a 60 s window and a one-hour window start together; replicas
    # counting one bucket with different window lengths once shared a row there, and the
    # one-hour limiter inherited the minute's count (a test's 5-request quota read as spent).
    now = int(time.time())
    bucket = f"window-test:{now}"
    await db.execute(
        "INSERT INTO rate_limit_counters (bucket, window_start, hits, window_seconds)"
        " VALUES ($1, $2, 1000, 60)",
        bucket,
        now // 3600 * 3600,
    )
    limiter = RateLimiter(db, window_seconds=3600, wait_seconds=5)
    verdict = await limiter.check([Limit("window-test", str(now), 5)])
    assert verdict.allowed


LARGE_QUOTA = 400


@pytest.fixture(scope="module")  # beside the module's two_gateways: ports of their own
def leasing_gateways(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[list[str]]:
    with gateways(
        stack, {"RATE_LIMIT_PER_KEY": str(LARGE_QUOTA)}, (shifted(18077), shifted(18078))
    ) as urls:
        yield urls


async def test_gateways_leasing_a_large_quota_never_admit_more_than_it(
    leasing_gateways: list[str], tenant: Tenant, db: asyncpg.Pool
) -> None:
    # Each gateway leases a share of the quota and spends it from memory: the database grants
    # no more than the quota, so the deployment never admits more, and at most one unspent
    # lease per gateway is refused early.
    async with httpx.AsyncClient(timeout=30) as client:
        answers: list[httpx.Response] = []
        for wave in range(6):
            answers += await asyncio.gather(
                *(
                    client.get(leasing_gateways[(wave + i) % 2] + CHANNELS, headers=tenant.headers)
                    for i in range(100)
                )
            )
    admitted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(admitted) + len(refused) == len(answers)
    first_lease = LARGE_QUOTA // LEASE_SHARE
    assert LARGE_QUOTA - 2 * first_lease <= len(admitted) <= LARGE_QUOTA
    key_id = await db.fetchval(
        "SELECT id FROM api_keys WHERE prefix = $1", tenant.key.split("_")[2]
    )
    leased = await db.fetchval(
        "SELECT sum(hits) FROM rate_limit_counters WHERE bucket = $1", f"key:{key_id}"
    )
    assert leased == LARGE_QUOTA  # granted up to the quota, and no further
    assert all(int(a.headers["retry-after"]) > 0 for a in refused)


async def test_a_gateway_spends_its_lease_without_asking_the_database(
    leasing_gateways: list[str], tenant: Tenant, db: asyncpg.Pool
) -> None:
    key_id = await db.fetchval(
        "SELECT id FROM api_keys WHERE prefix = $1", tenant.key.split("_")[2]
    )
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(LARGE_QUOTA // LEASE_SHARE):  # exactly the first lease
            response = await client.get(leasing_gateways[0] + CHANNELS, headers=tenant.headers)
            assert response.status_code == 200
    counted = await db.fetchval(
        "SELECT hits FROM rate_limit_counters WHERE bucket = $1", f"key:{key_id}"
    )
    assert counted == LARGE_QUOTA // LEASE_SHARE  # one lease, spent from memory
    left = LARGE_QUOTA - LARGE_QUOTA // LEASE_SHARE
    assert response.headers["ratelimit"].startswith(f'"key";r={left};')
