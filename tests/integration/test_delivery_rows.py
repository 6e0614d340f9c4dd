"""Delivery rows are written many to a statement; an integration deleted meanwhile costs only
its own rows (its log went with it), never the others' or an error to its sender, and a row
PostgreSQL refuses fails alone."""

from __future__ import annotations

import uuid
from importlib import resources
from typing import Any

import asyncpg
import httpx

from devstack.stack import Servers
from shared.adapters.integrations import record_deliveries
from shared.adapters.postgres import connect
from shared.domain.captured import redact_query
from tests.integration.conftest import Tenant, eventually
from tests.integration.test_webhooks import T1
from tests.integration.test_webhooks import connect as connect_integration
from tests.webhook_senders import SENDER_CASES, new_document_id

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


async def test_a_secret_in_the_url_is_kept_redacted(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect_integration(api, tenant, GENERIC)
    path, secret = integration["webhookPath"], integration["secret"]
    headers, body = GENERIC.build("create", new_document_id(GENERIC), "Sent", T1, secret, path)
    answer = await api.post(f"{path}?action=create&api_key={secret}", content=body, headers=headers)
    assert answer.status_code == 202, answer.text

    async def kept() -> str | None:
        query: str | None = await db.fetchval(
            "SELECT query FROM webhook_deliveries WHERE integration_id = $1",
            uuid.UUID(integration["id"]),
        )
        return query

    assert await eventually(kept) == "action=create&api_key=[redacted]"


QUERY_NAMES = (
    "action", "api_key", "apiKey", "API-KEY", "x_api_key", "token", "X-Webhook-Token", "author",
    "sig", "signature", "key", "monkey", "code", "zipcode", "passwd", "password", "secret",
    "client_secret", "hmac", "authorization", "auth", "q",
)  # fmt: skip


async def test_the_migration_redacts_kept_queries_as_deliveries_now_are(db: asyncpg.Pool) -> None:
    migration = (
        resources.files("shared.adapters") / "migrations" / "0032_delivery_query_redacted.sql"
    ).read_text()
    queries = [
        "&".join(f"{name}={value}" for name in QUERY_NAMES[i::3])
        for i in range(3)
        for value in ("1", "a+b", "%26x", "")
    ] + ["flag&token=t&flag2", "sig=1&sig=2"]
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("CREATE TEMP TABLE kept (query text) ON COMMIT DROP")
        await conn.executemany("INSERT INTO kept VALUES ($1)", [(q,) for q in queries])
        await conn.execute(migration.replace("UPDATE webhook_deliveries", "UPDATE kept"))
        redacted = {row["query"] for row in await conn.fetch("SELECT query FROM kept")}
    assert redacted == {redact_query(query) for query in queries}
    assert "[redacted]" in redact_query(queries[0])
