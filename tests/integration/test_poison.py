"""Poison messages go to the dead-letter topic with their origin; later ones still apply."""

from __future__ import annotations

import re
import uuid

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devstack.stack import Servers, ServiceProcess
from shared.adapters.kafka import header
from shared.contracts.topics import Topic
from tests.integration.conftest import Tenant, eventually


async def test_poison_goes_to_dlq_with_origin_and_later_commands_apply(
    stack: Servers,
    services: dict[str, ServiceProcess],
    api: httpx.AsyncClient,
    tenant: Tenant,
    db: asyncpg.Pool,
) -> None:
    marker = f"poison-{uuid.uuid4()}"
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            Topic.INGEST, b"{this is not an envelope", key=marker.encode()
        )
    finally:
        await producer.stop()

    response = await api.post("/api/public/v1/events", json=tenant.event(), headers=tenant.headers)
    assert response.status_code in (201, 202)
    await eventually(
        lambda: db.fetchval(
            "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
        )
    )

    dead = await _find_dead_letter(stack.kafka_bootstrap, marker)
    assert dead.value == b"{this is not an envelope"
    assert header(dead.headers, "dlq-origin-topic") == Topic.INGEST
    assert header(dead.headers, "dlq-origin-partition") == str(sent.partition)
    assert header(dead.headers, "dlq-origin-offset") == str(sent.offset)
    assert "not a valid IngestEnvelope" in (header(dead.headers, "dlq-reason") or "")

    metrics = await api.get(f"{services['publisher'].url}/metrics")
    series = r'pinned_dead_letters_total\{topic="pinned.ingest.v1"\} (\S+)'
    counted = re.search(series, metrics.text)
    assert counted is not None, metrics.text
    assert float(counted.group(1)) >= 1


async def _find_dead_letter(bootstrap: str, marker: str):  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(
        Topic.DEAD_LETTER,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:

        async def fetch():  # type: ignore[no-untyped-def]
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == marker.encode():
                        return record
            return None

        return await eventually(fetch, within=30)
    finally:
        await consumer.stop()
