"""Point 1 end to end: every way into the gateway refuses, with a field error, what the store
would refuse later; nothing is answered 2xx and then lost."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx

from tests.integration.conftest import Tenant
from tests.integration.test_webhooks import connect, deliveries
from tests.webhook_senders import Generic

T1 = "2026-05-01T10:00:00.000Z"


async def test_a_webhook_document_the_store_cannot_hold_is_recorded_as_invalid(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    case = Generic()
    integration = await connect(api, tenant, case)
    path, secret = integration["webhookPath"], integration["secret"]
    doc = f"doc-\x00-{uuid.uuid4().hex[:8]}"
    headers, body = case.build("create", doc, "Jazz\x00Night", T1, secret, path)
    answer = await api.post(path, content=body, headers=headers)
    assert answer.status_code == 200, answer.text  # 2xx: retrying would not fix it
    assert answer.json()["status"] == "invalid"
    (logged,) = await deliveries(api, tenant, integration["id"])
    assert logged["status"] == "invalid"
    assert {(f["path"], f["code"]) for f in logged["fields"]} >= {("title", "nul_character")}
    assert "\\u0000" in logged["documentId"]  # recorded, spelled as an escape
    assert json.dumps(logged)  # and readable back
    count = await db.fetchval(
        "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
    )
    assert count == 0
