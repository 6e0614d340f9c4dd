"""Every request leaves exactly one audit row, and the key's usage moves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from devstack.stack import Servers
from shared.contracts.messages import AuditRecord, encode
from shared.contracts.topics import Topic
from tests.integration.conftest import Tenant, eventually

CHANNELS = "/api/public/v1/channels"


async def test_every_request_leaves_one_audit_row_and_key_usage_moves(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    responses = [
        await api.get(CHANNELS, headers=tenant.headers),
        await api.post("/api/public/v1/events", json={"title": ""}, headers=tenant.headers),
        await api.get(CHANNELS, headers={"Authorization": "Bearer nonsense"}),
    ]
    request_ids = [r.headers["x-request-id"] for r in responses]

    async def audited() -> list[asyncpg.Record] | None:
        rows = await db.fetch(
            "SELECT request_id, status, key_prefix, api_key_id FROM audit_log"
            " WHERE request_id = ANY($1::text[])",
            request_ids,
        )
        return rows if len(rows) == len(request_ids) else None

    rows = {r["request_id"]: r for r in await eventually(audited)}
    assert [rows[i]["status"] for i in request_ids] == [200, 422, 401]
    assert rows[request_ids[0]]["key_prefix"] == tenant.key.split("_")[2]
    assert rows[request_ids[2]]["api_key_id"] is None
    key = await db.fetchrow(
        "SELECT last_used_at, last_used_ip, request_count FROM api_keys WHERE prefix = $1",
        tenant.key.split("_")[2],
    )
    assert key["last_used_at"] is not None
    assert str(key["last_used_ip"]) == "127.0.0.1"
    assert key["request_count"] == 2


async def test_request_id_from_the_caller_is_kept_and_reaches_the_audit_log(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    response = await api.get(CHANNELS, headers={**tenant.headers, "X-Request-Id": "trace-1234abcd"})
    assert response.headers["x-request-id"] == "trace-1234abcd"
    await eventually(
        lambda: db.fetchval("SELECT 1 FROM audit_log WHERE request_id = 'trace-1234abcd'")
    )


async def test_secrets_never_reach_the_audit_log(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    response = await api.get(CHANNELS, headers=tenant.headers)
    request_id = response.headers["x-request-id"]
    row = await eventually(
        lambda: db.fetchrow("SELECT * FROM audit_log WHERE request_id = $1", request_id)
    )
    secret = tenant.key.split("_", 3)[3]
    assert all(secret not in str(value) for value in dict(row).values())


async def test_a_path_or_agent_the_store_cannot_hold_is_audited_escaped(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """A NUL in the URL (%00) or a lone surrogate in a user agent must not stop the auditor."""
    odd = [
        await api.get("/api/public/v1/events/%00x", headers=tenant.headers),
        await api.get("/api/public/v1/events/%ff%fe", headers=tenant.headers),
    ]
    after = await api.get(CHANNELS, headers=tenant.headers)
    ids = [r.headers["x-request-id"] for r in (*odd, after)]

    async def audited() -> list[asyncpg.Record] | None:
        rows = await db.fetch(
            "SELECT request_id, path FROM audit_log WHERE request_id = ANY($1::text[])", ids
        )
        return rows if len(rows) == len(ids) else None

    paths = {r["request_id"]: r["path"] for r in await eventually(audited)}
    assert paths[ids[0]] == "/api/public/v1/events/\\u0000x"
    assert paths[ids[1]].startswith("/api/public/v1/events/")


async def test_a_single_record_from_a_gateway_before_batching_is_still_audited(
    stack: Servers, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """During a rolling deploy, and for the topic's retention, older gateways' records (one
    AuditRecord per message, keyed by request id) sit beside today's AuditBatch messages."""
    old = AuditRecord(
        record_id=uuid.uuid4(),
        request_id=f"req_{uuid.uuid4().hex}",
        occurred_at=datetime.now(UTC),
        method="GET",
        route="/api/public/v1/channels",
        path="/api/public/v1/channels",
        status=200,
        duration_seconds=0.002,
        owner_id=tenant.account_id,
    )
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(Topic.AUDIT, encode(old), key=old.request_id.encode())
    finally:
        await producer.stop()
    row = await eventually(
        lambda: db.fetchrow(
            "SELECT status, owner_account_id FROM audit_log WHERE request_id = $1", old.request_id
        )
    )
    assert (row["status"], row["owner_account_id"]) == (200, tenant.account_id)
