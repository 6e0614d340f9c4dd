"""Past capacity a gateway refuses the excess at once (503 `overloaded`, Retry-After) and
loses none of what it accepted. A gateway of the test's own, with a tiny queueing-delay
target, is flooded with concurrent creates; outcomes are counted, not timed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from devstack.stack import Servers, ServiceProcess, shifted
from tests.integration.conftest import Tenant, eventually, own_gateways, sample

PORT = shifted(18089)
EVENTS = "/api/public/v1/events"
FLOOD, CONCURRENCY = 300, 100


@pytest.fixture
def touchy_gateway(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[str]:
    settings = {
        "GATEWAY_ADMISSION_ENABLED": "true",  # the suite's other gateways run without it
        # A millisecond of queueing for 20 ms: any flood on this box is past it.
        "GATEWAY_ADMISSION_TARGET_SECONDS": "0.001",
        "GATEWAY_ADMISSION_INTERVAL_SECONDS": "0.02",
        "GATEWAY_ADMISSION_PROBE_SECONDS": "0.002",
        "GATEWAY_ADMISSION_RETRY_AFTER_SECONDS": "2",
        "GATEWAY_OUTCOME_WAIT_SECONDS": "0",
        "RATE_LIMIT_ENABLED": "false",
    }
    with own_gateways(stack, settings, (PORT,), "touchy") as urls:
        yield urls[0]


async def test_a_flood_is_refused_as_overloaded_and_every_accepted_create_is_stored_once(
    touchy_gateway: str, tenant: Tenant, db: asyncpg.Pool
) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=touchy_gateway, timeout=60, limits=limits) as client:

        async def create(index: int) -> tuple[str, httpx.Response]:
            key = f"flood-{index}"
            headers = {**tenant.headers, "Idempotency-Key": key, "Prefer": "respond-async"}
            body = tenant.event(title=f"Flood {index}")
            return key, await client.post(EVENTS, json=body, headers=headers)

        answers = await asyncio.gather(*(create(i) for i in range(FLOOD)))
        refused = [a for _, a in answers if a.status_code == 503]
        accepted = {key: a.json()["id"] for key, a in answers if a.status_code == 202}
        assert len(refused) + len(accepted) == FLOOD, {a.status_code for _, a in answers}
        assert refused, "a flood past a 1 ms target must be refused in part"
        for answer in refused:
            assert answer.json()["error"]["code"] == "overloaded"
            assert answer.headers["Retry-After"] == "2"

        # Admitted again once the flood is over: retrying a refused create succeeds.
        retried = next(key for key, a in answers if a.status_code == 503)

        async def retry() -> httpx.Response | None:
            headers = {**tenant.headers, "Idempotency-Key": retried, "Prefer": "respond-async"}
            index = int(retried.removeprefix("flood-"))
            answer = await client.post(
                EVENTS, json=tenant.event(title=f"Flood {index}"), headers=headers
            )
            return answer if answer.status_code == 202 else None

        accepted[retried] = (await eventually(retry, within=30, interval=0.5)).json()["id"]

        metrics = (await client.get("/metrics")).text
    assert sample(metrics, "pinned_gateway_admission_rejected_total", route=EVENTS) >= len(refused)

    async def stored() -> list[asyncpg.Record] | None:
        rows = await db.fetch(
            "SELECT id FROM events WHERE owner_account_id = $1",
            tenant.account_id,
        )
        return rows if len(rows) >= len(accepted) else None

    rows = await eventually(stored, within=60)
    # Every accepted create is stored, once, under its own id; nothing refused was stored.
    assert sorted(str(r["id"]) for r in rows) == sorted(accepted.values())
