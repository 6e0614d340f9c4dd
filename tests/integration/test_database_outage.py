"""With PostgreSQL unreachable, the gateway and discovery answer 503 `service_unavailable`
with Retry-After (a client retries; nothing was done), say so on /readyz, log one line per
request instead of a traceback, and recover by themselves when the database is back.

The outage is a relay in front of the session's real server, cut and restored, so the
other tests keep their database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from devstack.stack import TEST, Servers, ServiceProcess, service_env, shifted
from tests.integration.conftest import Tenant, eventually
from tests.integration.tcp_relay import TcpRelay

EVENTS = "/api/public/v1/events"
DISCOVERY_EVENTS = "/api/discovery/v1/events"


@pytest.fixture
async def relay(stack: Servers) -> AsyncIterator[TcpRelay]:
    database = urlsplit(stack.database_url)
    relay = TcpRelay(database.hostname or "127.0.0.1", database.port or 5432, shifted(18070))
    await relay.open()
    yield relay
    await relay.cut()


async def test_a_database_outage_is_503_with_retry_after_and_recovers(
    stack: Servers, services: dict[str, ServiceProcess], tenant: Tenant, relay: TcpRelay
) -> None:
    through = Servers(stack.kafka_bootstrap, relay.url_through(stack.database_url))
    env = service_env(through, {"GATEWAY_ADMISSION_ENABLED": "false"})
    logs = TEST.base_dir / "logs" / "database-outage"
    gateway = ServiceProcess("gateway", shifted(18071), env, logs)
    discovery = ServiceProcess("discovery", shifted(18072), env, logs)
    try:
        for service in (gateway, discovery):
            service.start(wait=False)
        for service in (gateway, discovery):
            await asyncio.to_thread(service.wait_ready)
        async with (
            httpx.AsyncClient(base_url=gateway.url, timeout=30) as api,
            httpx.AsyncClient(base_url=discovery.url, timeout=30) as people,
        ):

            async def create() -> httpx.Response:
                key = {"Idempotency-Key": uuid.uuid4().hex}
                return await api.post(EVENTS, json=tenant.event(), headers=tenant.headers | key)

            assert (await create()).status_code in (201, 202)
            assert (await people.get(DISCOVERY_EVENTS)).status_code == 200

            await relay.cut()
            for answer in (await create(), await people.get(DISCOVERY_EVENTS)):
                assert answer.status_code == 503, answer.text
                error = answer.json()["error"]
                assert error["code"] == "service_unavailable"
                assert "database" in error["message"]
                assert int(answer.headers["retry-after"]) > 0
                assert answer.headers["x-request-id"] == error["requestId"]
            ready = await api.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["postgres"].startswith("failed")

            await relay.open()

            async def recovered() -> bool:
                created, listed = await create(), await people.get(DISCOVERY_EVENTS)
                return created.status_code in (201, 202) and listed.status_code == 200

            await eventually(recovered, within=60, interval=1)
    finally:
        # In threads: the relay runs on this loop, and the services' last statements (a
        # claim released, the pools closed) go through it while they stop.
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in (gateway, discovery)))
    for service in (gateway, discovery):
        assert "unhandled error" not in service.log_file.read_text(), service.name
