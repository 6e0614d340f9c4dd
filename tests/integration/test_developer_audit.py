"""Developer API: per-key usage and the account's audit trail (requests and key changes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration.conftest import MakeTenant, Tenant, eventually

KEYS = "/api/developer/v1/keys"
AUDIT = "/api/developer/v1/audit"


async def key_id_of(api: httpx.AsyncClient, tenant: Tenant, token: str) -> str:
    listed = (await api.get(KEYS, headers=tenant.owner_headers)).json()["docs"]
    return str(next(k["id"] for k in listed if k["prefix"] == token.split("_")[2]))


async def some_traffic(api: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    answers = [
        await api.get("/api/public/v1/channels", headers=tenant.headers),
        await api.post("/api/public/v1/events", json={"title": ""}, headers=tenant.headers),
        await api.get(f"/api/public/v1/events/{uuid.uuid4()}", headers=tenant.headers),
    ]
    assert [a.status_code for a in answers] == [200, 422, 404]
    return [a.headers["x-request-id"] for a in answers]


async def test_usage_per_day_route_and_status(api: httpx.AsyncClient, tenant: Tenant) -> None:
    await some_traffic(api, tenant)
    key_id = await key_id_of(api, tenant, tenant.key)
    url = f"{KEYS}/{key_id}/usage"

    async def counted() -> dict[str, Any] | None:
        usage: dict[str, Any] = (await api.get(url, headers=tenant.owner_headers)).json()
        return usage if sum(d["requests"] for d in usage["byDay"]) == 3 else None

    usage = await eventually(counted)
    today = datetime.now(UTC).date().isoformat()
    assert usage["byDay"] == [{"day": today, "requests": 3, "errors": 2}]
    assert {(s["status"], s["requests"]) for s in usage["byStatus"]} == {
        (200, 1),
        (404, 1),
        (422, 1),
    }
    assert {"method": "GET", "route": "/api/public/v1/channels", "requests": 1} in usage["byRoute"]
    assert {
        "method": "GET",
        "route": "/api/public/v1/events/{eventId}",
        "requests": 1,
    } in usage["byRoute"]
    assert (usage["prefix"], usage["requestCount"], usage["lastUsedIp"]) == (
        tenant.key.split("_")[2],
        3,
        "127.0.0.1",
    )
    assert usage["lastUsedAt"] is not None


async def test_audit_query_filters_and_includes_key_changes(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    request_ids = await some_traffic(api, tenant)
    key_id = await key_id_of(api, tenant, tenant.key)
    created = await api.post(KEYS, json={"name": "temp"}, headers=tenant.owner_headers)
    temp = created.json()
    await api.post(
        f"{KEYS}/{temp['id']}/revoke",
        json={"reason": "no longer needed"},
        headers=tenant.owner_headers,
    )

    async def audited() -> dict[str, Any] | None:
        page: dict[str, Any] = (
            await api.get(AUDIT, params={"keyId": key_id}, headers=tenant.owner_headers)
        ).json()
        requests = [e for e in page["docs"] if e["type"] == "request"]
        return page if len(requests) == 3 else None

    page = await eventually(audited)
    assert [e["requestId"] for e in page["docs"] if e["type"] == "request"] == request_ids[::-1]
    assert [e["type"] for e in page["docs"]][-1] == "key.created"  # oldest last

    failed = (
        await api.get(AUDIT, params={"status": 422, "keyId": key_id}, headers=tenant.owner_headers)
    ).json()
    assert [(e["status"], e["errorCode"]) for e in failed["docs"]] == [(422, "validation_failed")]
    one = (
        await api.get(AUDIT, params={"requestId": request_ids[2]}, headers=tenant.owner_headers)
    ).json()
    assert [(e["requestId"], e["status"]) for e in one["docs"]] == [(request_ids[2], 404)]
    assert one["docs"][0]["path"].startswith("/api/public/v1/events/")
    assert one["docs"][0]["route"] == "/api/public/v1/events/{eventId}"

    changes = (
        await api.get(
            AUDIT, params={"type": "key", "keyId": temp["id"]}, headers=tenant.owner_headers
        )
    ).json()
    owner_prefix = tenant.owner_key.split("_")[2]
    assert [(e["type"], e["actor"], e.get("reason")) for e in changes["docs"]] == [
        ("key.revoked", f"key:{owner_prefix}", "no longer needed"),
        ("key.created", f"key:{owner_prefix}", None),
    ]
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await api.get(AUDIT, params={"from": later}, headers=tenant.owner_headers)).json()[
        "totalDocs"
    ] == 0
    paged = (
        await api.get(
            AUDIT, params={"keyId": key_id, "limit": 1, "page": 2}, headers=tenant.owner_headers
        )
    ).json()
    assert (paged["totalDocs"], len(paged["docs"]), paged["hasPrevPage"]) == (4, 1, True)
    everything = await api.get(AUDIT, params={"limit": 100}, headers=tenant.owner_headers)
    assert tenant.key.split("_")[3] not in everything.text
    assert temp["secret"].split("_")[3] not in everything.text


async def test_audit_is_per_account_and_needs_audit_read(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    other = await make_tenant()
    theirs = await key_id_of(api, other, other.key)
    usage = await api.get(f"{KEYS}/{theirs}/usage", headers=tenant.owner_headers)
    assert usage.status_code == 404
    foreign = await api.get(AUDIT, params={"keyId": theirs}, headers=tenant.owner_headers)
    assert foreign.json()["totalDocs"] == 0
    assert (await api.get(AUDIT, headers=tenant.headers)).status_code == 403
    for params in ({"keyId": "nope"}, {"status": "99"}, {"from": "yesterday"}, {"type": "x"}):
        bad = await api.get(AUDIT, params=params, headers=tenant.owner_headers)
        assert bad.status_code == 400, params
        assert bad.json()["error"]["fields"][0]["path"] == next(iter(params))


async def test_a_revoked_keys_attempts_are_in_its_owners_audit(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    # A system still sending a key that was revoked (or rotated out) is the owner's to find.
    created = (await api.post(KEYS, json={"name": "old"}, headers=tenant.owner_headers)).json()
    revoked = await api.post(
        f"{KEYS}/{created['id']}/revoke", json={"reason": "replaced"}, headers=tenant.owner_headers
    )
    assert revoked.status_code == 200, revoked.text
    stale = {"Authorization": f"Bearer {created['secret']}"}
    refused = await api.get("/api/public/v1/channels", headers=stale)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")

    async def audited() -> list[dict[str, Any]] | None:
        page = (
            await api.get(AUDIT, params={"keyId": created["id"], "type": "request"},
                          headers=tenant.owner_headers)
        ).json()  # fmt: skip
        return page["docs"] or None

    (attempt,) = await eventually(audited)
    assert (attempt["requestId"], attempt["status"], attempt["errorCode"]) == (
        refused.headers["x-request-id"], 401, "unauthorized",
    )  # fmt: skip
    usage = (await api.get(f"{KEYS}/{created['id']}/usage", headers=tenant.owner_headers)).json()
    assert usage["byStatus"] == [{"status": 401, "requests": 1}]
