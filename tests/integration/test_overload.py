"""Past capacity a gateway refuses new writes at once (503 `overloaded`, Retry-After) and
loses none of what it accepted.

The overload is made, not hoped for: the suite's Kafka broker is paused (SIGSTOP) while
creates wait for its acknowledgement, so the oldest wait grows past admission control's
target whatever the speed of the machine. Outcomes are counted, never timed.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from devstack.stack import Servers, ServiceProcess, shifted
from tests.integration.conftest import Tenant, eventually, own_gateways, sample

PORT = shifted(18089)
EVENTS = "/api/public/v1/events"
WAITING, REFUSED = 5, 20


@pytest.fixture
def admitting_gateway(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[str]:
    settings = {
        "GATEWAY_ADMISSION_ENABLED": "true",  # the suite's other gateways run without it
        "GATEWAY_ADMISSION_ACK_TARGET_SECONDS": "0.05",
        "GATEWAY_ADMISSION_INTERVAL_SECONDS": "0.1",
        "GATEWAY_ADMISSION_RETRY_AFTER_SECONDS": "2",
        "GATEWAY_OUTCOME_WAIT_SECONDS": "0",
        "KAFKA_SEND_TIMEOUT_SECONDS": "60",  # the broker's pause must not time a send out
        "RATE_LIMIT_ENABLED": "false",
    }
    with own_gateways(stack, settings, (PORT,), "admitting") as urls:
        yield urls[0]


async def test_writes_waiting_on_a_stalled_broker_turn_new_ones_away_and_none_is_lost(
    admitting_gateway: str, stack: Servers, tenant: Tenant, db: asyncpg.Pool
) -> None:
    broker = stack.processes.get("kafka")
    if broker is None:
        pytest.skip("needs a broker this suite started (KAFKA_BOOTSTRAP_SERVERS names another)")
    async with httpx.AsyncClient(base_url=admitting_gateway, timeout=90) as client:

        async def create(index: int) -> tuple[str, httpx.Response]:
            key = f"flood-{index}"
            headers = {**tenant.headers, "Idempotency-Key": key, "Prefer": "respond-async"}
            body = tenant.event(title=f"Flood {index}")
            return key, await client.post(EVENTS, json=body, headers=headers)

        accepted = {}
        key, first = await create(0)  # the producer is connected before the pause
        assert first.status_code == 202, first.text
        accepted[key] = first.json()["id"]

        broker.send_signal(signal.SIGSTOP)
        try:
            waiting = [asyncio.create_task(create(i)) for i in range(1, WAITING + 1)]

            async def refusing() -> bool:
                metrics = (await client.get("/metrics")).text
                return sample(metrics, "pinned_gateway_admission_refusing") == 1

            await eventually(refusing, within=30, interval=0.05)
            answers = await asyncio.gather(
                *(create(i) for i in range(WAITING + 1, WAITING + REFUSED + 1))
            )
        finally:
            broker.send_signal(signal.SIGCONT)

        for _, answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "overloaded"
            assert answer.headers["Retry-After"] == "2"
        for key, answer in await asyncio.gather(*waiting):
            assert answer.status_code == 202, answer.text  # accepted once the broker answered
            accepted[key] = answer.json()["id"]

        # Admitted again once the queue has drained: retrying a refused create succeeds.
        retried = int(answers[0][0].removeprefix("flood-"))

        async def retry() -> tuple[str, httpx.Response] | None:
            key, answer = await create(retried)
            return (key, answer) if answer.status_code == 202 else None

        key, answer = await eventually(retry, within=30, interval=0.5)
        accepted[key] = answer.json()["id"]
        metrics = (await client.get("/metrics")).text
    assert sample(metrics, "pinned_gateway_admission_rejected_total", route=EVENTS) >= REFUSED

    async def stored() -> list[asyncpg.Record] | None:
        rows = await db.fetch(
            "SELECT id FROM events WHERE owner_account_id = $1", tenant.account_id
        )
        return rows if len(rows) >= len(accepted) else None

    rows = await eventually(stored, within=60)
    # Every accepted create is stored, once, under its own id; nothing refused was stored.
    assert sorted(str(r["id"]) for r in rows) == sorted(accepted.values())
