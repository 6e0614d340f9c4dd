"""SIGKILL the publisher mid-backlog: after a restart every accepted event is stored once."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from devstack.stack import ServiceProcess
from tests.integration.conftest import Tenant, eventually, rows_of

EVENTS = "/api/public/v1/events"
BACKLOG = 2000  # large enough that the publisher is still draining when stopped


async def test_publisher_sigkill_mid_backlog_loses_and_duplicates_nothing(
    api: httpx.AsyncClient,
    tenant: Tenant,
    db: asyncpg.Pool,
    services: dict[str, ServiceProcess],
) -> None:
    publisher = services["publisher"]
    publisher.kill()
    accepted = await _send_backlog(api, tenant)
    assert len(accepted) == BACKLOG

    publisher.start(wait=False)
    stored_at_kill = await eventually(lambda: rows_of(db, tenant), within=60, interval=0.01)
    publisher.kill()  # SIGKILL: no commit, no goodbye
    assert stored_at_kill < BACKLOG, "backlog drained before the kill; the test proved nothing"

    await asyncio.to_thread(publisher.start)
    await eventually(lambda: _all_stored(db, tenant), within=90)
    stored = await db.fetch(
        "SELECT id::text FROM events WHERE owner_account_id = $1", tenant.account_id
    )
    assert sorted(r["id"] for r in stored) == sorted(accepted)


async def _send_backlog(api: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    limit = asyncio.Semaphore(32)

    async def send(index: int) -> str:
        async with limit:
            response = await api.post(
                EVENTS,
                json=tenant.event(title=f"Backlog event {index}"),
                headers={
                    **tenant.headers,
                    "Idempotency-Key": f"backlog-{index}",
                    "Prefer": "respond-async",
                },
            )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    return list(await asyncio.gather(*(send(i) for i in range(BACKLOG))))


async def _all_stored(db: asyncpg.Pool, tenant: Tenant) -> bool:
    return await rows_of(db, tenant) >= BACKLOG
