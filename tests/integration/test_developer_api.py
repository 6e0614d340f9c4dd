"""Developer API: an owner manages its keys; every change takes effect on the next request."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.integration.conftest import MakeTenant, Tenant, eventually

KEYS = "/api/developer/v1/keys"
CHANNELS = "/api/public/v1/channels"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: object) -> dict[str, object]:
    response = await api.post(KEYS, json={"name": "CMS sync", **body}, headers=tenant.owner_headers)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_create_shows_the_secret_once_and_the_key_works(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        KEYS, json={"name": "CMS sync", "scopes": ["channels:read"]}, headers=tenant.owner_headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    assert response.headers["location"] == f"{KEYS}/{created['id']}"
    secret = created["secret"]
    assert secret.startswith(f"pe_test_{created['prefix']}_")
    assert (created["status"], created["scopes"], created["requestCount"]) == (
        "active",
        ["channels:read"],
        0,
    )
    assert (await api.get(CHANNELS, headers=bearer(secret))).status_code == 200

    async def usage_recorded() -> dict[str, object] | None:
        # The auditor records usage from the audit stream, a moment after the request.
        read = await api.get(response.headers["location"], headers=tenant.owner_headers)
        view: dict[str, object] = read.json()
        return view if view["requestCount"] == 1 else None

    read = await eventually(usage_recorded, within=20)
    assert "secret" not in read
    assert read["lastUsedAt"] is not None
    listed = (await api.get(KEYS, headers=tenant.owner_headers)).json()
    assert secret.split("_")[3] not in str(listed)
    assert created["id"] in [k["id"] for k in listed["docs"]]
    assert listed["totalDocs"] == len(listed["docs"]) == 3  # integration, owner, new
    assert {"page", "limit", "totalPages", "hasNextPage", "hasPrevPage"} <= set(listed)


async def test_quickstart_scopes_by_default_and_never_owner_scopes(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create(api, tenant)
    assert created["scopes"] == ["channels:read", "events:create"]
    refused = await api.post(
        KEYS, json={"name": "sneaky", "scopes": ["keys:manage"]}, headers=tenant.owner_headers
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "validation_failed"
    assert [f["path"] for f in error["fields"]] == ["scopes.0"]


async def test_invalid_bodies_name_the_field(api: httpx.AsyncClient, tenant: Tenant) -> None:
    cases = [
        ({"scopes": ["events:read"]}, "name"),
        ({"name": "x", "expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
        ({"name": "x", "mode": "prod"}, "mode"),
        ({"name": "x", "owner": 1}, "owner"),
    ]
    for body, field in cases:
        response = await api.post(KEYS, json=body, headers=tenant.owner_headers)
        assert response.status_code == 422, body
        assert [f["path"] for f in response.json()["error"]["fields"]] == [field]


async def test_integration_keys_cannot_manage_keys_and_owner_keys_cannot_publish(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    as_integration = await api.get(KEYS, headers=tenant.headers)
    assert as_integration.status_code == 403
    assert as_integration.json()["error"]["code"] == "missing_scope"
    as_owner = await api.post("/api/public/v1/events", json=tenant.event(),
                              headers=tenant.owner_headers)  # fmt: skip
    assert as_owner.status_code == 403
    assert "events:create" in as_owner.json()["error"]["message"]
    assert (await api.get(KEYS)).status_code == 401


async def test_another_accounts_key_is_not_found(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    other = await make_tenant()
    theirs = await create(api, other)
    for method, suffix in (("GET", ""), ("POST", "/disable"), ("GET", "/history")):
        response = await api.request(
            method, f"{KEYS}/{theirs['id']}{suffix}", headers=tenant.owner_headers
        )
        assert response.status_code == 404, suffix
        assert response.json()["error"]["code"] == "not_found"
    unknown = await api.get(f"{KEYS}/{uuid.uuid4()}", headers=tenant.owner_headers)
    assert unknown.status_code == 404


async def test_disable_then_enable(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(api, tenant)
    one = f"{KEYS}/{created['id']}"
    key = bearer(str(created["secret"]))
    assert (await api.get(CHANNELS, headers=key)).status_code == 200  # now in the gateway's cache
    disabled = await api.post(f"{one}/disable", headers=tenant.owner_headers)
    assert disabled.json()["status"] == "disabled"
    # The gateway that disabled the key forgot it before answering: no announcement to wait for.
    refused = await api.get(CHANNELS, headers=key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")
    again = await api.post(f"{one}/disable", headers=tenant.owner_headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "key_state_conflict")

    assert (await api.post(f"{one}/enable", headers=tenant.owner_headers)).status_code == 200
    assert (await api.get(CHANNELS, headers=key)).status_code == 200


async def test_revoke_records_reason_and_who(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(api, tenant)
    one = f"{KEYS}/{created['id']}"
    missing_reason = await api.post(f"{one}/revoke", json={}, headers=tenant.owner_headers)
    assert missing_reason.status_code == 422
    assert missing_reason.json()["error"]["fields"][0]["path"] == "reason"

    revoked = await api.post(
        f"{one}/revoke", json={"reason": "leaked in a log"}, headers=tenant.owner_headers
    )
    view = revoked.json()
    owner_prefix = tenant.owner_key.split("_")[2]
    assert (view["status"], view["revokedReason"], view["revokedBy"]) == (
        "revoked",
        "leaked in a log",
        f"key:{owner_prefix}",
    )
    assert (await api.get(CHANNELS, headers=bearer(str(created["secret"])))).status_code == 401
    enable = await api.post(f"{one}/enable", headers=tenant.owner_headers)
    assert enable.status_code == 409  # revocation is for good

    history = (await api.get(f"{one}/history", headers=tenant.owner_headers)).json()["docs"]
    assert [(e["action"], e["actor"]) for e in history] == [
        ("created", f"key:{owner_prefix}"),
        ("revoked", f"key:{owner_prefix}"),
    ]
    assert history[1]["reason"] == "leaked in a log"


async def test_rotate_keeps_the_old_key_for_the_overlap(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create(api, tenant, scopes=["channels:read", "events:read"])
    old = bearer(str(created["secret"]))
    rotated = await api.post(
        f"{KEYS}/{created['id']}/rotate", json={"overlapSeconds": 3}, headers=tenant.owner_headers
    )
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert (new["name"], new["scopes"]) == ("CMS sync", ["channels:read", "events:read"])
    assert new["id"] != created["id"]
    assert (await api.get(CHANNELS, headers=bearer(new["secret"]))).status_code == 200
    assert (await api.get(CHANNELS, headers=old)).status_code == 200  # still in the overlap

    async def old_refused() -> bool:
        return (await api.get(CHANNELS, headers=old)).status_code == 401

    await eventually(old_refused, within=30, interval=0.5)
    view = (await api.get(f"{KEYS}/{created['id']}", headers=tenant.owner_headers)).json()
    assert view["status"] == "expired"
    history = (await api.get(f"{KEYS}/{created['id']}/history",
                             headers=tenant.owner_headers)).json()["docs"]  # fmt: skip
    assert [e["action"] for e in history] == ["created", "rotated"]
    assert new["prefix"] in history[1]["reason"]


async def test_rotate_without_a_body_uses_a_day_of_overlap(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create(api, tenant)
    rotated = await api.post(f"{KEYS}/{created['id']}/rotate", headers=tenant.owner_headers)
    assert rotated.status_code == 201, rotated.text
    view = (await api.get(f"{KEYS}/{created['id']}", headers=tenant.owner_headers)).json()
    assert view["status"] == "active"
    assert view["expiresAt"] is not None


async def test_concurrent_rotations_of_one_key_make_one_successor(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create(api, tenant)
    url = f"{KEYS}/{created['id']}/rotate"
    answers = await asyncio.gather(
        *(api.post(url, json={"overlapSeconds": 60}, headers=tenant.owner_headers)
          for _ in range(4))
    )  # fmt: skip
    # Rotation locks the key, and a rotated key cannot be rotated again.
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    refused = next(a for a in answers if a.status_code == 409).json()["error"]
    assert refused["code"] == "key_state_conflict"
    assert "already rotated" in refused["message"]
    listed = (await api.get(KEYS, headers=tenant.owner_headers)).json()
    assert [k["name"] for k in listed["docs"]].count("CMS sync") == 2
