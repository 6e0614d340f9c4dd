"""With Kafka unreachable the gateway refuses (503 + Retry-After) instead of accepting what
it cannot store, says so on /readyz, and recovers by itself when the broker is back.

Uses a broker of its own, so the session's broker stays up for the other tests."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.kafka import KafkaNode, ensure_jars
from devstack.processes import stop
from devstack.stack import TEST, Servers, ServiceProcess, service_env, shifted
from shared.adapters.kafka import ensure_topics, started
from shared.contracts.topics import Topic
from shared.core.settings import KafkaSettings
from tests.integration.conftest import Tenant, eventually, sample

EVENTS = "/api/public/v1/events"


@pytest.fixture
def outage_kafka() -> KafkaNode:
    return KafkaNode(
        TEST.base_dir / "kafka-outage",
        port=shifted(19192),
        controller_port=shifted(19193),
        heap="384m",
    )


async def test_gateway_answers_503_while_kafka_is_down_and_recovers(
    stack: Servers, services: dict[str, ServiceProcess], tenant: Tenant, outage_kafka: KafkaNode
) -> None:
    libs = ensure_jars(TEST.cache_dir)
    broker = await asyncio.to_thread(outage_kafka.start, libs)
    gateways: tuple[ServiceProcess, ...] = ()
    try:
        await ensure_topics(KafkaSettings(bootstrap_servers=outage_kafka.bootstrap))
        await _first_writes_done(outage_kafka.bootstrap)
        env = service_env(
            Servers(outage_kafka.bootstrap, stack.database_url),
            {
                "KAFKA_SEND_TIMEOUT_SECONDS": "2",
                "GATEWAY_OUTCOME_WAIT_SECONDS": "0",
                "GATEWAY_MAX_PENDING_SENDS": "1",
                # A down broker would also read as a standing queue: the codes here are
                # those of the outage itself.
                "GATEWAY_ADMISSION_ENABLED": "false",
            },
        )
        gateway = ServiceProcess("gateway", shifted(18090), env, TEST.base_dir / "logs" / "outage")
        admitting = ServiceProcess(
            "gateway",
            shifted(18073),
            {**env, "GATEWAY_ADMISSION_ENABLED": "true", "GATEWAY_MAX_PENDING_SENDS": "100"},
            TEST.base_dir / "logs" / "outage-admission",
        )
        gateways = (gateway, admitting)
        for started in gateways:
            started.start(wait=False)
        for started in gateways:
            await asyncio.to_thread(started.wait_ready)
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as api:
            assert (
                await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
            ).status_code == 202

            broker.kill()
            broker.wait()
            refused = await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "service_unavailable"
            assert int(refused.headers["retry-after"]) > 0
            # One command already waits for the broker: the next is refused at once.
            waiting = asyncio.create_task(
                api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
            )
            await asyncio.sleep(0.3)
            overloaded = await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
            assert overloaded.status_code == 503
            assert overloaded.json()["error"]["code"] == "overloaded"
            assert (await waiting).json()["error"]["code"] == "service_unavailable"
            ready = await api.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["kafka"].startswith("failed: KafkaError: ")
            assert outage_kafka.bootstrap in ready.json()["checks"]["kafka"], "names the broker"
            await _outage_is_not_overload(admitting, tenant)

            broker = await asyncio.to_thread(outage_kafka.start, libs)

            async def accepted_again() -> bool:
                response = await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
                return response.status_code == 202

            await eventually(accepted_again, within=60, interval=1)
            assert (await api.get("/readyz")).status_code == 200
    finally:
        for started in gateways:
            started.stop()
        stop(broker)


async def _outage_is_not_overload(gateway: ServiceProcess, tenant: Tenant) -> None:
    """Admission control on: a send waiting for the down broker makes a standing queue, and
    the gate refuses meanwhile; once a send has failed, its refusals say what is wrong
    (503 service_unavailable, the send path's Retry-After) and are not counted as overload."""
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as api:

        async def create() -> httpx.Response:
            return await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)

        first = await create()  # waits out the send timeout: the event log is failing
        assert first.json()["error"]["code"] == "service_unavailable"
        waiting = asyncio.create_task(create())
        await asyncio.sleep(0.6)  # six admission intervals with a send standing
        metrics = (await api.get("/metrics")).text
        assert sample(metrics, "pinned_gateway_admission_refusing") == 1
        refused = await create()
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "service_unavailable", refused.text
        assert refused.headers["retry-after"] == "5"
        assert (await waiting).json()["error"]["code"] == "service_unavailable"
        metrics = (await api.get("/metrics")).text
        assert sample(metrics, "pinned_gateway_admission_rejected_total", route=EVENTS) == 0


async def _first_writes_done(bootstrap: str) -> None:
    """A write on every ingest partition of the new broker, without the gateway's 2 s bound.
    A fresh broker's first appends are slow when the machine is busy (seen with other suites
    running: load 14 on 2 cores): the first create, which only shows the gateway working
    before the outage, was refused 503 because the broker took over 2 s to acknowledge it.
    Nothing consumes this broker's ingest topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=60_000)
    async with started(producer):
        partitions = await producer.partitions_for(Topic.INGEST)
        await asyncio.gather(
            *(producer.send_and_wait(Topic.INGEST, b"warm-up", partition=p) for p in partitions)
        )
