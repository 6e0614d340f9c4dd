"""Past capacity a gateway refuses new writes at once (503 `overloaded`, Retry-After) and
loses none of what it accepted.

The overload is made, not hoped for: the suite's Kafka broker is paused (SIGSTOP) while
creates wait for its acknowledgement, or a table every webhook delivery is written to is
locked while deliveries hold the pool's connections, so the oldest wait grows past admission
control's target whatever the speed of the machine. Outcomes are counted, never timed.
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
from tests.integration.test_webhooks import T1, connect, deliveries
from tests.webhook_senders import SENDER_CASES, new_document_id

PORT = shifted(18089)
POOL_PORT = shifted(18079)
POOL_SIZE = 2
GENERIC = next(c for c in SENDER_CASES if c.source == "generic")
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


@pytest.fixture
def pool_watching_gateway(stack: Servers, services: dict[str, ServiceProcess]) -> Iterator[str]:
    """Admission control watching only the database: the other queues' targets are out of
    reach, so a refusal here can only come from waits for a connection or a statement."""
    settings = {
        "GATEWAY_ADMISSION_ENABLED": "true",
        "GATEWAY_ADMISSION_TARGET_SECONDS": "60",
        "GATEWAY_ADMISSION_BATCH_TARGET_SECONDS": "60",
        "GATEWAY_ADMISSION_ACK_TARGET_SECONDS": "60",
        "GATEWAY_ADMISSION_CLAIM_TARGET_SECONDS": "60",
        "GATEWAY_ADMISSION_POOL_TARGET_SECONDS": "0.05",
        "GATEWAY_ADMISSION_INTERVAL_SECONDS": "0.1",
        "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
        "DATABASE_ACQUIRE_TIMEOUT_SECONDS": "60",  # the lock must not time an acquire out
        # Every delivery reads its integration, so a lock on that table holds connections.
        "GATEWAY_ACCESS_CACHE_SECONDS": "0",
        "RATE_LIMIT_ENABLED": "false",
    }
    with own_gateways(stack, settings, (POOL_PORT,), "pool-watching") as urls:
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


@pytest.mark.parametrize(
    "lock",
    [
        # Each delivery's integration lookup waits holding one of the pool's connections;
        # the deliveries past the pool's size wait for a connection.
        "LOCK TABLE integrations IN ACCESS EXCLUSIVE MODE",
        # The deliveries' rows wait for one statement that waits on the lock.
        "LOCK TABLE webhook_deliveries IN EXCLUSIVE MODE",
    ],
    ids=["waiting for a connection", "waiting for their rows' statement"],
)
async def test_deliveries_waiting_for_the_database_turn_new_writes_away(
    lock: str,
    pool_watching_gateway: str,
    api: httpx.AsyncClient,
    tenant: Tenant,
    db: asyncpg.Pool,
) -> None:
    integration = await connect(api, tenant, GENERIC)
    path, secret = integration["webhookPath"], integration["secret"]

    def delivery(title: str) -> tuple[dict[str, str], bytes]:
        headers, body = GENERIC.build("create", new_document_id(GENERIC), title, T1, secret, path)
        return headers, body

    async with httpx.AsyncClient(base_url=pool_watching_gateway, timeout=90) as sender:
        headers, body = delivery("Warm-up")  # the gateway has its connections open first
        assert (await sender.post(path, content=body, headers=headers)).status_code == 202

        async def refusing(now: bool = True) -> bool:
            metrics = (await sender.get("/metrics")).text
            return (sample(metrics, "pinned_gateway_admission_refusing") == 1) == now

        async with db.acquire() as locker, locker.transaction():
            await locker.execute(lock)
            sent = [delivery(f"Held {i}") for i in range(POOL_SIZE + WAITING)]
            held = [asyncio.create_task(sender.post(path, content=b, headers=h)) for h, b in sent]
            await eventually(refusing, within=30, interval=0.05)
            refused = [delivery(f"Refused {i}") for i in range(REFUSED)]
            answers = await asyncio.gather(
                *(sender.post(path, content=b, headers=h) for h, b in refused)
            )
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "overloaded"
        for answer in await asyncio.gather(*held):
            assert answer.status_code == 202, answer.text  # accepted once the lock went
        await eventually(lambda: refusing(now=False), within=30, interval=0.1)
        metrics = (await sender.get("/metrics")).text
    route = "/webhooks/{source}/{integrationId}"
    assert sample(metrics, "pinned_gateway_admission_rejected_total", route=route) >= REFUSED
    # The owner's log has every accepted delivery (applied once the publisher stored it), and
    # none of the refused: a refusal costs no row.
    logged = await deliveries(api, tenant, integration["id"])
    assert len(logged) == 1 + POOL_SIZE + WAITING
    assert {d["status"] for d in logged} <= {"accepted", "applied"}
