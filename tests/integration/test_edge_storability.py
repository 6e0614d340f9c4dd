"""Point 1 end to end: every way into the gateway refuses, with a field error, what the store
would refuse later; nothing is answered 2xx and then lost."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx

from tests.integration.conftest import Tenant, eventually
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


async def test_a_single_create_names_every_spelling_of_what_the_store_cannot_hold(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """The body's text decides whether validation skips its own storability pass; every
    spelling of an unstorable value is still a 422 naming the field, and a clean body with
    escapes and emoji is accepted."""
    headers = {**tenant.headers, "Content-Type": "application/json", "Prefer": "respond-async"}
    spellings = [
        (json.dumps(tenant.event(title="a\x00b")), "title", "nul_character"),  # \u0000
        (json.dumps(tenant.event(title="\udc00")), "title", "invalid_unicode"),  # escaped
        (
            json.dumps(tenant.event()).replace(
                '"title"', '"price":{"min":1e400,"max":1,"currency":"USD"},"title"'
            ),
            "price.min",
            "non_finite_number",
        ),
        (
            json.dumps(tenant.event()).replace('"title"', f'"capacity":{"9" * 320}.0,"title"'),
            "capacity",
            "non_finite_number",
        ),
    ]
    for body, path, code in spellings:
        answer = await api.post("/api/public/v1/events", content=body, headers=headers)
        assert answer.status_code == 422, (body[:80], answer.text)
        fields = {(f["path"], f["code"]) for f in answer.json()["error"]["fields"]}
        assert (path, code) in fields, fields
    clean = json.dumps(tenant.event(title="Zürich \u00e9t\u00e9 🎷"), ensure_ascii=True)
    answer = await api.post("/api/public/v1/events", content=clean, headers=headers)
    assert answer.status_code == 202, answer.text

    async def titles() -> list[str]:
        rows = await db.fetch(
            "SELECT title FROM events WHERE owner_account_id = $1", tenant.account_id
        )
        return [row["title"] for row in rows]

    assert await eventually(titles) == ["Zürich été 🎷"]  # the refused ones left nothing
