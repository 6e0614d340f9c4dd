"""Changing an integration after it is made: PATCH its mapping, defaults, actions or channel
(validated as a whole, access checked); rotate its secret with an overlap in which both are
accepted; delete it (its webhook answers 404, its events stay)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import MakeTenant, Tenant, eventually
from tests.integration.test_webhooks import INTEGRATIONS, T1, T2, connect, stored
from tests.webhook_senders import SENDER_CASES, SenderCase, new_document_id

GENERIC = next(c for c in SENDER_CASES if c.source == "generic")
SIGNED = next(c for c in SENDER_CASES if c.source == "sanity")
STANDARD = next(c for c in SENDER_CASES if c.source == "standard")


async def deliver(
    api: httpx.AsyncClient, case: SenderCase, integration: dict[str, Any], secret: str, doc: str
) -> httpx.Response:
    path = integration["webhookPath"]
    headers, body = case.build("create", doc, f"Show {doc}", T1, secret, path)
    return await api.post(path + case.query("create"), content=body, headers=headers)


def fields_of(response: httpx.Response) -> list[str]:
    return [f["path"] for f in response.json()["error"]["fields"]]


async def test_a_change_applies_to_the_next_delivery_and_is_validated_whole(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    integration = await connect(api, tenant, GENERIC)
    one, secret = f"{INTEGRATIONS}/{integration['id']}", integration["secret"]
    changed = await api.patch(
        one, json={"name": "paused creates", "actions": {"create": "ignore"}},
        headers=tenant.owner_headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    view = changed.json()
    assert (view["name"], view["actions"]["create"]) == ("paused creates", "ignore")
    assert view["defaults"] == integration["defaults"]  # untouched fields stay
    assert "secret" not in view
    answer = await deliver(api, GENERIC, integration, secret, new_document_id(GENERIC))
    assert (answer.status_code, answer.json()["status"]) == (200, "ignored")

    other = await make_tenant()
    refusals = [
        ({"mapping": {"owner": "x"}}, 422, "mapping"),
        ({"defaults": {"timezone": "Mars/Base"}}, 422, "defaults.timezone"),
        ({"source": "strapi"}, 422, "source"),  # the URL names the source: never changed
        ({"name": ""}, 422, "name"),
        ({"channelId": 2**70}, 422, "channelId"),
    ]
    for body, status, field in refusals:
        refused = await api.patch(one, json=body, headers=tenant.owner_headers)
        assert (refused.status_code, fields_of(refused)) == (status, [field]), body
    forbidden = await api.patch(
        one, json={"channelId": other.channel_id}, headers=tenant.owner_headers
    )
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "channel_forbidden")
    theirs = await api.patch(one, json={"name": "mine now"}, headers=other.owner_headers)
    assert theirs.status_code == 404
    kept = (await api.get(one, headers=tenant.owner_headers)).json()
    assert (kept["name"], kept["channelId"]) == ("paused creates", tenant.channel_id)


@pytest.mark.parametrize("case", [GENERIC, SIGNED], ids=lambda c: c.source)
async def test_a_rotated_secret_overlaps_with_the_old_one(
    case: SenderCase, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, case)
    one, old = f"{INTEGRATIONS}/{integration['id']}", integration["secret"]
    rotated = await api.post(f"{one}/rotate-secret", headers=tenant.owner_headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new = rotated.json()["secret"]
    assert new != old
    assert rotated.json()["previousSecretValidUntil"] is not None
    for secret in (old, new):  # the sender's configuration may lag behind the rotation
        answer = await deliver(api, case, integration, secret, new_document_id(case))
        assert answer.status_code == 202, answer.text

    again = await api.post(
        f"{one}/rotate-secret", json={"overlapSeconds": 0}, headers=tenant.owner_headers
    )
    newest = again.json()["secret"]
    assert again.json()["previousSecretValidUntil"] is None
    for secret, status in ((old, 401), (new, 401), (newest, 202)):
        answer = await deliver(api, case, integration, secret, new_document_id(case))
        assert answer.status_code == status, (secret == new, answer.text)
    listed = (await api.get(INTEGRATIONS, headers=tenant.owner_headers)).text
    assert newest not in listed


async def test_a_chosen_secret_and_a_bad_overlap(api: httpx.AsyncClient, tenant: Tenant) -> None:
    integration = await connect(api, tenant, GENERIC)
    one = f"{INTEGRATIONS}/{integration['id']}"
    chosen = "contentful-made-this-secret-0123456789"
    rotated = await api.post(
        f"{one}/rotate-secret", json={"secret": chosen}, headers=tenant.owner_headers
    )
    assert rotated.json()["secret"] == chosen
    for body, field in (
        ({"overlapSeconds": -1}, "overlapSeconds"),
        ({"secret": "short"}, "secret"),
    ):
        refused = await api.post(f"{one}/rotate-secret", json=body, headers=tenant.owner_headers)
        assert (refused.status_code, fields_of(refused)) == (422, [field])


async def test_a_standard_webhooks_secret_is_checked_at_rotation_as_at_creation(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, STANDARD)
    one = f"{INTEGRATIONS}/{integration['id']}"
    refused = await api.post(
        f"{one}/rotate-secret",
        json={"secret": "plainsecretwithoutprefix123456"},
        headers=tenant.owner_headers,
    )
    assert (refused.status_code, fields_of(refused)) == (422, ["secret"]), refused.text
    assert refused.json()["error"]["fields"][0]["code"] == "invalid_secret"
    chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    rotated = await api.post(
        f"{one}/rotate-secret", json={"secret": chosen}, headers=tenant.owner_headers
    )
    assert (rotated.status_code, rotated.json()["secret"]) == (200, chosen)


async def test_a_deleted_integration_answers_404_and_its_events_stay(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    integration = await connect(api, tenant, GENERIC)
    one, secret = f"{INTEGRATIONS}/{integration['id']}", integration["secret"]
    doc = new_document_id(GENERIC)
    assert (await deliver(api, GENERIC, integration, secret, doc)).status_code == 202

    async def made() -> bool:
        return await stored(db, tenant, doc) is not None

    await eventually(made)
    assert (await api.delete(one, headers=tenant.owner_headers)).status_code == 204
    path = integration["webhookPath"]
    headers, body = GENERIC.build("update", doc, "Renamed", T2, secret, path)
    gone = await api.post(path, content=body, headers=headers)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")
    for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/deliveries")):
        response = await api.request(method, one + suffix, headers=tenant.owner_headers)
        assert response.status_code == 404, (method, suffix)
    event = await stored(db, tenant, doc)
    assert event is not None
    assert event["title"] == f"Show {doc}"


async def test_concurrent_changes_of_different_fields_both_hold(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    integration = await connect(api, tenant, GENERIC)
    one = f"{INTEGRATIONS}/{integration['id']}"
    for round_ in range(10):
        zone = ("Europe/Paris", "Asia/Tokyo")[round_ % 2]
        named, zoned = await asyncio.gather(
            api.patch(one, json={"name": f"round {round_}"}, headers=tenant.owner_headers),
            api.patch(
                one,
                json={"defaults": {**integration["defaults"], "timezone": zone}},
                headers=tenant.owner_headers,
            ),
        )
        assert (named.status_code, zoned.status_code) == (200, 200)
        now = (await api.get(one, headers=tenant.owner_headers)).json()
        assert (now["name"], now["defaults"]["timezone"]) == (f"round {round_}", zone)
