"""Webhook ingestion, sender by sender, on the real stack: each lifecycle step changes the
right event; a re-delivery changes nothing; an older revision changes nothing; a tampered byte,
an old timestamp or a wrong token is 401; a payload missing a field is recorded with the reason.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import MakeTenant, Tenant, eventually
from tests.integration.test_command_fate import final_operation
from tests.webhook_senders import SENDER_CASES, SenderCase, new_document_id

INTEGRATIONS = "/api/developer/v1/integrations"
T0, T1, T2 = "2026-05-01T09:00:00.000Z", "2026-05-01T10:00:00.000Z", "2026-05-02T10:00:00.000Z"
T2_LATE = "2026-05-02T12:00:00.000Z"  # after T2, before T3
T3, T4, T5 = "2026-05-03T10:00:00.000Z", "2026-05-04T10:00:00.000Z", "2026-05-05T10:00:00.000Z"
NEW_YORK = {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}


async def connect(api: httpx.AsyncClient, tenant: Tenant, case: SenderCase) -> dict[str, Any]:
    spec = {
        "name": f"{case.source} site",
        "source": case.source,
        "channelId": tenant.channel_id,
        "defaults": {"city": NEW_YORK, "classifications": ["music"]},
        **case.spec,
    }
    response = await api.post(INTEGRATIONS, json=spec, headers=tenant.owner_headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def stored(db: asyncpg.Pool, tenant: Tenant, document_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT id, title, status, version FROM events"
        " WHERE owner_account_id = $1 AND source_id LIKE $2",
        tenant.account_id,
        f"%{document_id}%",
    )
    return row


async def deliveries(
    api: httpx.AsyncClient, tenant: Tenant, integration_id: str
) -> list[dict[str, Any]]:
    response = await api.get(
        f"{INTEGRATIONS}/{integration_id}/deliveries",
        params={"limit": 100},
        headers=tenant.owner_headers,
    )
    assert response.status_code == 200, response.text
    docs: list[dict[str, Any]] = response.json()["docs"]
    return docs


@pytest.mark.parametrize("case", SENDER_CASES, ids=lambda c: f"{c.source}-{type(c).__name__}")
async def test_sender_lifecycle(
    case: SenderCase, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, case)
    path, secret = integration["webhookPath"], integration["secret"]
    doc = new_document_id(case)

    async def send(step: str, title: str | None, updated: str, **kw: Any) -> httpx.Response:
        headers, body = case.build(step, doc, title, updated, secret, path, **kw)
        return await api.post(path + case.query(step), content=body, headers=headers)

    async def event_where(**expected: Any) -> asyncpg.Record:
        async def matches() -> asyncpg.Record | None:
            row = await stored(db, tenant, doc)
            return row if row and all(row[k] == v for k, v in expected.items()) else None

        found: asyncpg.Record = await eventually(matches)
        return found

    # Create: the event appears in the integration's channel.
    headers, body = case.build("create", doc, "Launch night", T1, secret, path)
    first = await api.post(path + case.query("create"), content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "accepted"
    created = await event_where(title="Launch night", status=case.create_status)

    # The same delivery again: one change only.
    again = await api.post(path + case.query("create"), content=body, headers=headers)
    assert again.status_code == 202
    assert str(created["id"]) == again.json()["eventId"]

    async def duplicate_seen() -> bool:
        return "duplicate" in [
            d["status"] for d in await deliveries(api, tenant, integration["id"])
        ]

    await eventually(duplicate_seen)
    assert (await stored(db, tenant, doc))["version"] == created["version"]  # type: ignore[index]
    # Each 202 names the operation that tells its owner what became of it.
    for answer, result in ((first, "created"), (again, "duplicate")):
        location = answer.headers["operation-location"]
        assert location.endswith(answer.json()["operationId"])
        # The owner reads it with the key that manages the integration, as with any other.
        owner = dataclasses.replace(tenant, key=tenant.owner_key)
        fate = await final_operation(api, owner, location)
        assert (fate["status"], fate["result"]) == ("applied", result)
        assert fate["eventId"] == str(created["id"])

    # Update, then an older revision arriving late: the newer one stays.
    assert (await send("update", "Launch night (room 1)", T2)).status_code == 202
    await event_where(title="Launch night (room 1)")
    # Another edit under the same version (a CRM's date-only or whole-second modified time)
    # applies: it is not another body under the first edit's key.
    assert (await send("update", "Launch night (room 2)", T2)).status_code == 202
    await event_where(title="Launch night (room 2)")
    assert (await send("update", "Stale title", T0)).status_code == 202

    async def stale_seen(times: int = 1) -> bool:
        found = [d["status"] for d in await deliveries(api, tenant, integration["id"])]
        return found.count("stale") >= times

    await eventually(stale_seen)
    assert (await stored(db, tenant, doc))["title"] == "Launch night (room 2)"  # type: ignore[index]

    if case.unpublish:
        assert (await send("unpublish", "Launch night (room 2)", T3)).status_code == 202
        await event_where(status="draft")
    if case.unpublish and case.publish:
        # A publish sent before the unpublish and delivered after it changes nothing.
        assert (await send("publish", "Late publish", T2_LATE)).status_code == 202
        await eventually(lambda: stale_seen(2))
        kept = await stored(db, tenant, doc)
        assert kept is not None
        assert (kept["status"], kept["title"]) == ("draft", "Launch night (room 2)")
    if case.publish:
        assert (await send("publish", "Launch night (room 2)", T4)).status_code == 202
        await event_where(status="published")
    assert (await send("delete", "Launch night (room 2)", T5)).status_code == 202
    await event_where(status="cancelled")


@pytest.mark.parametrize("case", SENDER_CASES, ids=lambda c: f"{c.source}-{type(c).__name__}")
async def test_forged_stale_or_untokened_deliveries_are_refused(
    case: SenderCase, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, case)
    path, secret = integration["webhookPath"], integration["secret"]
    doc = new_document_id(case)
    headers, body = case.build("create", doc, "Forged", T1, secret, path)
    if case.signed:
        tampered = body.replace(b"Forged", b"Forgee")
        refused = await api.post(path, content=tampered, headers=headers)
    else:
        wrong = case.build("create", doc, "Forged", T1, "not-the-token-at-all", path)
        refused = await api.post(path, content=wrong[1], headers=wrong[0])
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "webhook_unverified"
    unsigned = {k: v for k, v in headers.items() if k.lower() == "content-type"}
    assert (await api.post(path, content=body, headers=unsigned)).status_code == 401
    if case.timestamped:
        old_headers, old_body = case.build(
            "create", doc, "Forged", T1, secret, path, sent_at=time.time() - 600
        )
        replayed = await api.post(path, content=old_body, headers=old_headers)
        assert replayed.status_code == 401
    logged = await deliveries(api, tenant, integration["id"])
    assert {d["status"] for d in logged} == {"unauthorized"}
    assert all(d["reason"] for d in logged)
    # Kept for the owner to read and preview; not offered for replay, which would refuse it.
    assert all(d["bodyKept"] and not d["replayable"] for d in logged)
    assert await stored(db, tenant, doc) is None


@pytest.mark.parametrize("case", SENDER_CASES, ids=lambda c: f"{c.source}-{type(c).__name__}")
async def test_a_delivery_missing_a_required_field_is_recorded_not_applied(
    case: SenderCase, api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, case)
    path, secret = integration["webhookPath"], integration["secret"]
    doc = new_document_id(case)
    headers, body = case.build("create", doc, None, T1, secret, path)
    answer = await api.post(path + case.query("create"), content=body, headers=headers)
    assert answer.status_code == 200, answer.text  # 2xx: retrying would not fix it
    assert (answer.json()["status"], answer.json()["reasonCode"]) == (
        "invalid",
        "validation_failed",
    )
    logged = await deliveries(api, tenant, integration["id"])
    assert [d["status"] for d in logged] == ["invalid"]
    assert [f["path"] for f in logged[0]["fields"]] == ["title"]
    assert "mapped from" in logged[0]["fields"][0]["message"]
    assert logged[0]["documentId"].endswith(doc) or doc in logged[0]["documentId"]
    assert await stored(db, tenant, doc) is None


async def test_sanity_drafts_are_never_published(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    case = next(c for c in SENDER_CASES if c.source == "sanity")
    integration = await connect(api, tenant, case)
    path = integration["webhookPath"]
    doc = f"drafts.{new_document_id(case)}"
    headers, body = case.build("update", doc, "Work in progress", T1, integration["secret"], path)
    answer = await api.post(path, content=body, headers=headers)
    assert (answer.status_code, answer.json()["status"]) == (200, "ignored")
    assert "draft" in answer.json()["reason"]
    assert await stored(db, tenant, doc) is None


async def test_integration_api_checks_channel_and_configuration(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    other = await make_tenant()
    base = {"name": "x", "source": "strapi"}
    cases = [
        ({**base, "channelId": other.channel_id}, 403, None),
        (
            {**base, "channelId": tenant.channel_id, "verification": "signature"},
            422,
            "verification",
        ),
        (
            {**base, "channelId": tenant.channel_id, "defaults": {"timezone": "Mars/Base"}},
            422,
            "defaults.timezone",
        ),
        (
            {**base, "channelId": tenant.channel_id, "mapping": {"owner": "entry.owner"}},
            422,
            "mapping",
        ),
        ({**base, "source": "myspace", "channelId": tenant.channel_id}, 422, "source"),
        ({**base, "channelId": 2**70}, 422, "channelId"),  # schemathesis found a 500 here
    ]
    for body, status, field in cases:
        response = await api.post(INTEGRATIONS, json=body, headers=tenant.owner_headers)
        assert response.status_code == status, body
        if field:
            assert field in [f["path"] for f in response.json()["error"]["fields"]], body
    assert (await api.get(INTEGRATIONS, headers=tenant.headers)).status_code == 403

    created = await connect(api, tenant, next(c for c in SENDER_CASES if c.source == "strapi"))
    listed = (await api.get(INTEGRATIONS, headers=tenant.owner_headers)).json()
    assert [i["id"] for i in listed["docs"]] == [created["id"]]
    assert "secret" not in listed["docs"][0]
    assert created["secret"] not in str(listed)
    assert created["actions"]["entry.publish"] == "publish"
    assert created["mapping"]["title"] == "plain_text(entry.title)"
    theirs = await api.get(f"{INTEGRATIONS}/{created['id']}", headers=other.owner_headers)
    assert theirs.status_code == 404


async def test_unknown_integration_or_wrong_source_is_404(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, next(c for c in SENDER_CASES if c.source == "generic"))
    wrong_source = integration["webhookPath"].replace("/generic/", "/strapi/")
    for path in (wrong_source, "/webhooks/generic/00000000-0000-0000-0000-000000000000"):
        response = await api.post(path, json={}, headers={"X-Webhook-Token": "x"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


async def test_a_disabled_integration_refuses_deliveries_until_enabled(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    case = next(c for c in SENDER_CASES if c.source == "generic")
    integration = await connect(api, tenant, case)
    path, one = integration["webhookPath"], f"{INTEGRATIONS}/{integration['id']}"
    doc = new_document_id(case)
    headers, body = case.build("create", doc, "Paused", T1, integration["secret"], path)
    paused = await api.post(f"{one}/disable", headers=tenant.owner_headers)
    assert paused.json()["status"] == "disabled"
    refused = await api.post(path, content=body, headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")

    assert (await api.post(f"{one}/enable", headers=tenant.owner_headers)).status_code == 200
    assert (await api.post(path, content=body, headers=headers)).status_code == 202

    async def stored_once() -> bool:
        return (await stored(db, tenant, doc)) is not None

    await eventually(stored_once)
    other = await api.post(f"{INTEGRATIONS}/{uuid.uuid4()}/disable", headers=tenant.owner_headers)
    assert other.status_code == 404
