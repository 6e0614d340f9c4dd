"""Delivery rows are written many to a statement; an integration deleted meanwhile costs only
its own rows (its log went with it), never the others' or an error to its sender, and a row
PostgreSQL refuses fails alone."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from devstack.stack import Servers
from shared.adapters.integrations import record_deliveries
from shared.adapters.postgres import connect
from tests.integration.conftest import Tenant
from tests.integration.test_webhooks import connect as connect_integration
from tests.webhook_senders import SENDER_CASES

GENERIC = next(c for c in SENDER_CASES if c.source == "generic")


def _delivery(integration_id: uuid.UUID, n: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "integration_id": integration_id,
        "request_id": f"req-{n}",
        "status": "invalid",
        "reason_code": "unreadable",
        "reason": f"Delivery {n}: \x00 is spelled as an escape",
        "fields": [{"field": "title", "message": "Required"}],
        "headers": {"content-type": "application/json"},
        "body": b'{"broken": ',
        "query": None,
    }


async def test_a_deleted_integrations_rows_are_skipped_and_the_others_stored(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    kept = uuid.UUID((await connect_integration(api, tenant, GENERIC))["id"])
    gone = uuid.UUID((await connect_integration(api, tenant, GENERIC))["id"])
    await db.execute("DELETE FROM integrations WHERE id = $1", gone)
    deliveries = [_delivery(kept if n % 2 else gone, n) for n in range(6)]

    conn = await connect(stack.database_url)  # with the services' jsonb codec
    try:
        errors = await record_deliveries(conn, deliveries)
    finally:
        await conn.close()
    assert errors == [None] * len(deliveries)

    rows = await db.fetch(
        "SELECT id, integration_id, reason FROM webhook_deliveries"
        " WHERE integration_id = ANY($1::uuid[]) ORDER BY request_id",
        [kept, gone],
    )
    assert [r["id"] for r in rows] == [d["id"] for d in deliveries if d["integration_id"] == kept]
    assert all("\\u0000" in r["reason"] for r in rows)


async def test_a_batch_is_stored_whole(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = uuid.UUID((await connect_integration(api, tenant, GENERIC))["id"])
    deliveries = [_delivery(integration, n) for n in range(20)]
    conn = await connect(stack.database_url)
    try:
        assert await record_deliveries(conn, deliveries) == [None] * len(deliveries)
    finally:
        await conn.close()
    stored = await db.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE integration_id = $1", integration
    )
    assert stored == len(deliveries)


async def test_a_row_postgresql_refuses_fails_alone(
    stack: Servers, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = uuid.UUID((await connect_integration(api, tenant, GENERIC))["id"])
    deliveries = [_delivery(integration, n) for n in range(5)]
    deliveries[2]["status"] = "not-a-status"  # outside the table's CHECK constraint
    conn = await connect(stack.database_url)
    try:
        errors = await record_deliveries(conn, deliveries)
    finally:
        await conn.close()
    assert [type(e) for e in errors] == [
        type(None),
        type(None),
        asyncpg.CheckViolationError,
        type(None),
        type(None),
    ]
    stored = await db.fetch(
        "SELECT id FROM webhook_deliveries WHERE integration_id = $1", integration
    )
    assert {r["id"] for r in stored} == {d["id"] for n, d in enumerate(deliveries) if n != 2}
