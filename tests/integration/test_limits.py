"""Limits that keep one bad client or a saturated database from hurting everyone: a deadline
for the request body (slow-body clients), and a bounded wait for a database connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from devstack.stack import Servers, ServiceProcess, shifted
from tests.integration.conftest import Tenant, own_gateways

PORT = shifted(18099)


@pytest.fixture
def strict_gateway(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[str]:
    settings = {
        "GATEWAY_BODY_TIMEOUT_SECONDS": "1",
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_POOL_MAX_SIZE": "1",
        "DATABASE_ACQUIRE_TIMEOUT_SECONDS": "0.5",
        "RATE_LIMIT_WINDOW_SECONDS": "3600",
        # The shared counters' hour-long bucket for 127.0.0.1 also holds what other tests'
        # gateways leased and lost when they stopped: this test is not about that quota.
        "RATE_LIMIT_PER_IP": "1000000000",
        "GATEWAY_OUTCOME_WAIT_SECONDS": "0",
    }
    with own_gateways(stack, settings, (PORT,), "strict") as urls:
        yield urls[0]


async def test_a_body_that_does_not_arrive_in_time_gets_408(
    strict_gateway: str, tenant: Tenant
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(
        b"POST /api/public/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {tenant.key}\r\n".encode()
        + b'Content-Length: 400\r\n\r\n{"title": '
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=15)
    body = await reader.read(2000)
    writer.close()
    assert head.startswith(b"HTTP/1.1 408"), head
    assert b'"request_timeout"' in body
    # The gateway is fine for everyone else.
    async with httpx.AsyncClient(base_url=strict_gateway) as client:
        ok = await client.get("/api/public/v1/channels", headers=tenant.headers)
        assert ok.status_code == 200


async def test_waiting_for_a_database_connection_is_bounded(
    strict_gateway: str, tenant: Tenant, db: asyncpg.Pool
) -> None:
    window = 3600
    async with httpx.AsyncClient(base_url=strict_gateway, timeout=30) as client:
        async with db.acquire() as conn, conn.transaction():
            # Hold the client IP's rate-limit counter: the gateway's one connection blocks on it.
            start = int(time.time()) // window * window
            await conn.execute(
                "INSERT INTO rate_limit_counters (bucket, window_start, hits, window_seconds)"
                " VALUES ($1, $2, 0, 3600)"
                " ON CONFLICT (bucket, window_seconds, window_start)"
                " DO UPDATE SET hits = rate_limit_counters.hits",
                "ip:127.0.0.1",
                start,
            )
            first = asyncio.create_task(
                client.get("/api/public/v1/channels", headers=tenant.headers)
            )
            await asyncio.sleep(0.5)  # the first request now holds the pool's connection
            second = await client.get("/api/public/v1/channels", headers=tenant.headers)
            assert second.status_code == 503
            assert second.json()["error"]["code"] == "service_unavailable"
            assert second.headers["retry-after"] == "1"
            assert not first.done()
        # Lock released: the held request completes normally.
        assert (await first).status_code == 200
