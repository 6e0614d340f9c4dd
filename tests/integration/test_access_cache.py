"""Keys and channel access are cached by the gateway, yet a revocation or a lost membership
takes effect within the stated bound: by PostgreSQL's announcement, or because a gateway that
may have missed one stops serving from its cache."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from devstack.stack import Servers, ServiceProcess, shifted
from services.gateway.adapters.access_changes import LISTENER_NAME
from tests.integration.conftest import (
    ACCESS_BOUND_SECONDS,
    MakeTenant,
    Tenant,
    answer_after_access_change,
    eventually,
    own_gateways,
    sample,
)
from tests.integration.test_webhooks import T1, connect
from tests.webhook_senders import SENDER_CASES, new_document_id

PORT = shifted(18095)
GENERIC = next(c for c in SENDER_CASES if c.source == "generic")
CHANNELS = "/api/public/v1/channels"
EVENTS = "/api/public/v1/events"


@pytest.fixture
def long_cache_gateway(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[str]:
    """A gateway whose entries would live ten minutes: only announcements can drop them."""
    settings = {"GATEWAY_ACCESS_CACHE_SECONDS": "600", "GATEWAY_OUTCOME_WAIT_SECONDS": "0"}
    with own_gateways(stack, settings, (PORT,), "long-cache") as urls:
        yield urls[0]


async def key_hits(client: httpx.AsyncClient) -> float:
    metrics = (await client.get("/metrics")).text
    return sample(metrics, "pinned_gateway_access_cache_lookups_total", kind="key", result="hit")


async def test_a_cached_key_is_dropped_when_it_is_revoked(
    long_cache_gateway: str, tenant: Tenant, db: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient(base_url=long_cache_gateway, timeout=10) as client:
        assert (await client.get(CHANNELS, headers=tenant.headers)).status_code == 200
        hits = await key_hits(client)
        assert (await client.get(CHANNELS, headers=tenant.headers)).status_code == 200
        assert await key_hits(client) == hits + 1  # served from memory

        started = time.monotonic()
        await db.execute("UPDATE api_keys SET status = 'disabled' WHERE prefix = $1",
                         tenant.key.split("_")[2])  # fmt: skip
        refused = await answer_after_access_change(
            lambda: client.get(CHANNELS, headers=tenant.headers), 401
        )
        assert refused.status_code == 401
        assert time.monotonic() - started < ACCESS_BOUND_SECONDS  # far below the 600 s entry


async def test_channel_access_follows_membership_both_ways(
    long_cache_gateway: str, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    host = await make_tenant()
    event = tenant.event(channelId=host.channel_id)
    async with httpx.AsyncClient(base_url=long_cache_gateway, timeout=10) as client:
        assert (await client.post(EVENTS, json=event, headers=tenant.headers)).status_code == 403
        await db.execute("INSERT INTO channel_members (channel_id, account_id) VALUES ($1, $2)",
                         host.channel_id, tenant.account_id)  # fmt: skip
        # A refusal is never remembered, so the grant holds on the very next request.
        allowed = await client.post(EVENTS, json=event, headers=tenant.headers)
        assert allowed.status_code == 202
        await db.execute("DELETE FROM channel_members WHERE channel_id = $1", host.channel_id)
        refused = await answer_after_access_change(
            lambda: client.post(EVENTS, json=event, headers=tenant.headers), 403
        )
        assert refused.json()["error"]["code"] == "channel_forbidden"


async def test_an_enabled_key_works_at_once(
    long_cache_gateway: str, tenant: Tenant, db: asyncpg.Pool
) -> None:
    prefix = tenant.key.split("_")[2]
    async with httpx.AsyncClient(base_url=long_cache_gateway, timeout=10) as client:
        await db.execute("UPDATE api_keys SET status = 'disabled' WHERE prefix = $1", prefix)
        refused = await answer_after_access_change(
            lambda: client.get(CHANNELS, headers=tenant.headers), 401
        )
        assert refused.status_code == 401
        await db.execute("UPDATE api_keys SET status = 'active' WHERE prefix = $1", prefix)
        assert (await client.get(CHANNELS, headers=tenant.headers)).status_code == 200


async def test_a_gateway_that_lost_its_announcements_stops_trusting_its_cache(
    long_cache_gateway: str, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient(base_url=long_cache_gateway, timeout=10) as client:
        assert (await client.get(CHANNELS, headers=tenant.headers)).status_code == 200
        # Cut every gateway's announcement connection, then revoke while they reconnect:
        # the announcement is lost, so only dropping the cache can make the revocation hold.
        cut = await db.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            LISTENER_NAME,
        )
        assert cut >= 1
        await db.execute("UPDATE api_keys SET status = 'revoked' WHERE prefix = $1",
                         tenant.key.split("_")[2])  # fmt: skip
        refused = await answer_after_access_change(
            lambda: client.get(CHANNELS, headers=tenant.headers), 401
        )
        assert refused.status_code == 401

        async def listening_again() -> bool:
            listeners = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                LISTENER_NAME,
            )
            return bool(listeners >= cut)

        await eventually(listening_again, within=10)
        other = await make_tenant()
        hits = await key_hits(client)

        async def served_from_memory() -> bool:
            await client.get(CHANNELS, headers=other.headers)
            return await key_hits(client) > hits

        await eventually(served_from_memory, within=5)  # caching resumes once reconnected


async def integration_hits(client: httpx.AsyncClient) -> float:
    metrics = (await client.get("/metrics")).text
    return sample(
        metrics, "pinned_gateway_access_cache_lookups_total", kind="integration", result="hit"
    )


async def test_a_cached_integration_is_dropped_when_it_or_its_account_is_disabled(
    long_cache_gateway: str, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, GENERIC)
    path, secret = integration["webhookPath"], integration["secret"]
    integration_id = uuid.UUID(integration["id"])

    async with httpx.AsyncClient(base_url=long_cache_gateway, timeout=10) as sender:

        async def deliver() -> httpx.Response:
            headers, body = GENERIC.build(
                "create", new_document_id(GENERIC), "Cached", T1, secret, path
            )
            return await sender.post(path, content=body, headers=headers)

        assert (await deliver()).status_code == 202
        hits = await integration_hits(sender)
        assert (await deliver()).status_code == 202
        assert await integration_hits(sender) == hits + 1  # served from memory

        for disable, enable in [
            (
                "UPDATE integrations SET status = 'disabled' WHERE id = $1",
                "UPDATE integrations SET status = 'active' WHERE id = $1",
            ),
            (
                "UPDATE accounts SET status = 'disabled'"
                " WHERE id = (SELECT account_id FROM integrations WHERE id = $1)",
                "UPDATE accounts SET status = 'active'"
                " WHERE id = (SELECT account_id FROM integrations WHERE id = $1)",
            ),
        ]:
            started = time.monotonic()
            await db.execute(disable, integration_id)
            refused = await answer_after_access_change(deliver, 404)
            assert refused.status_code == 404, f"{disable}: {refused.text}"
            assert time.monotonic() - started < ACCESS_BOUND_SECONDS  # far below 600 s
            await db.execute(enable, integration_id)
            # A refusal is never remembered: enabled again, the next delivery goes through.
            assert (await deliver()).status_code == 202
