"""The docs' troubleshooting page (`004_a82f0b0e2bfcfbd6.txt`), walked case by case: each
section's advice, followed as written, finds and fixes the problem it names."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from shared.adapters import key_store
from shared.domain.api_keys import Scope
from tests.integration.conftest import (
    CREATE_QUOTA,
    MakeTenant,
    Tenant,
    answer_after_access_change,
    eventually,
)

CHANNELS = "/api/public/v1/channels"
EVENTS = "/api/public/v1/events"
KEYS = "/api/developer/v1/keys"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> dict[str, object]:
    error: dict[str, object] = response.json()["error"]
    return error


async def test_401_header_scheme_copied_secret_and_key_state(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    # "Confirm the Authorization header uses Bearer YOUR_API_KEY."
    for header in (tenant.key, f"Token {tenant.key}", f"Basic {tenant.key}", "Bearer"):
        response = await api.get(CHANNELS, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert error_of(response)["code"] == "unauthorized"
        assert "Authorization: Bearer" in str(error_of(response)["message"])
    assert (await api.get(CHANNELS, headers=bearer(tenant.key))).status_code == 200
    # "Confirm the full secret was copied when the key was created."
    assert (await api.get(CHANNELS, headers=bearer(tenant.key[:-1]))).status_code == 401
    # "Confirm the key has not been revoked, disabled, or expired."
    for change, body in (("disable", None), ("revoke", {"reason": "troubleshooting"})):
        created = await api.post(KEYS, json={"name": change}, headers=tenant.owner_headers)
        key = created.json()
        assert (await api.get(CHANNELS, headers=bearer(key["secret"]))).status_code == 200
        await api.post(f"{KEYS}/{key['id']}/{change}", json=body, headers=tenant.owner_headers)
        # The gateway that made the change honours it at once.
        refused = await api.get(CHANNELS, headers=bearer(key["secret"]))
        assert refused.status_code == 401, change
        listed = (await api.get(f"{KEYS}/{key['id']}", headers=tenant.owner_headers)).json()
        assert listed["status"] == {"disable": "disabled", "revoke": "revoked"}[change]
    soon = await api.post(
        KEYS,
        json={"name": "short-lived", "expiresAt": "2099-01-01T00:00:00Z"},
        headers=tenant.owner_headers,
    )
    assert soon.json()["status"] == "active"


async def test_403_missing_scope_is_named_after_authentication(
    api: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    reader = await make_tenant(scopes=(Scope.CHANNELS_READ,))
    response = await api.post(EVENTS, json=reader.event(), headers=reader.headers)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "missing_scope"
    assert "events:create" in str(error["message"])
    # Authentication comes first: a bad key on the same route is 401, not 403.
    assert (await api.post(EVENTS, json=reader.event(), headers=bearer("x"))).status_code == 401
    # "add only that permission to the integration key": a new key with that scope works.
    fixed = await api.post(
        KEYS,
        json={"name": "fixed", "scopes": ["channels:read", "events:create"]},
        headers=reader.owner_headers,
    )
    retried = await api.post(EVENTS, json=reader.event(), headers=bearer(fixed.json()["secret"]))
    assert retried.status_code in (201, 202)


async def test_403_wrong_channel_id_and_the_channels_list_that_fixes_it(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    stranger = await make_tenant()
    response = await api.post(EVENTS, json=tenant.event(channelId=stranger.channel_id),
                              headers=tenant.headers)  # fmt: skip
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "channel_forbidden"
    assert "GET /api/public/v1/channels" in str(error["message"])
    assert [f["path"] for f in error["fields"]] == ["channelId"]  # type: ignore[attr-defined]

    usable = (await api.get(CHANNELS, headers=tenant.headers)).json()["docs"]
    fixed = tenant.event(channelId=usable[0]["id"])
    assert (await api.post(EVENTS, json=fixed, headers=tenant.headers)).status_code == 201


async def test_403_when_the_owner_loses_access_after_the_key_was_created(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    host = await make_tenant()
    await db.execute(
        "INSERT INTO channel_members (channel_id, account_id) VALUES ($1, $2)",
        host.channel_id,
        tenant.account_id,
    )
    shared_channel = tenant.event(channelId=host.channel_id)
    assert (await api.post(EVENTS, json=shared_channel, headers=tenant.headers)).status_code == 201
    await db.execute(
        "DELETE FROM channel_members WHERE channel_id = $1 AND account_id = $2",
        host.channel_id,
        tenant.account_id,
    )
    refused = await answer_after_access_change(
        lambda: api.post(EVENTS, json=shared_channel, headers=tenant.headers), 403
    )
    assert (refused.status_code, error_of(refused)["code"]) == (403, "channel_forbidden")


async def test_validation_errors_name_each_field(api: httpx.AsyncClient, tenant: Tenant) -> None:
    cases = {
        "a required field is missing": (
            {k: v for k, v in tenant.event().items() if k != "title"},
            "title",
        ),
        "a date is invalid": (tenant.event(startAt="2026-06-31T18:00:00-04:00"), "startAt"),
        "a timezone is invalid": (tenant.event(timezone="America/Gotham"), "timezone"),
        "a classification slug is unknown": (
            tenant.event(classifications=["music", "moshing"]),
            "classifications",
        ),
        "an id the key cannot use": (
            tenant.event(
                approxLocation={
                    "city": {
                        "placeId": "place-nowhere-at-all",
                        "name": "Nowhere",
                        "countryCode": "US",
                    }
                }
            ),
            "approxLocation.city.placeId",
        ),
    }
    for case, (body, field) in cases.items():
        response = await api.post(EVENTS, json=body, headers=tenant.headers)
        assert response.status_code == 422, case
        error = error_of(response)
        assert error["code"] == "validation_failed", case
        paths = [f["path"] for f in error["fields"]]  # type: ignore[attr-defined]
        assert any(p == field or p.startswith(f"{field}.") for p in paths), (case, paths)
        assert field.split(".")[0] in str(error["message"]), case


async def test_duplicate_events_and_the_idempotency_key_advice(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    async def stored(title: str) -> int:
        count: int = await db.fetchval(
            "SELECT count(*) FROM events WHERE owner_account_id = $1 AND title = $2",
            tenant.account_id,
            title,
        )
        return count

    # The same key on every retry of the same source event and action: one event.
    body = tenant.event(title="Retried with one key")
    headers = {**tenant.headers, "Idempotency-Key": "cms-post-981:create"}
    answers = [await api.post(EVENTS, json=body, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    assert await stored("Retried with one key") == 1

    # A new random key on every retry is what the page warns against: two events.
    body = tenant.event(title="Retried with random keys")
    for attempt in ("random-1", "random-2"):
        await api.post(EVENTS, json=body, headers={**tenant.headers, "Idempotency-Key": attempt})
    assert await stored("Retried with random keys") == 2


async def test_429_with_retry_after(two_gateways: list[str], tenant: Tenant) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(CREATE_QUOTA):
            accepted = await client.post(
                two_gateways[0] + EVENTS, json=tenant.event(), headers=tenant.headers
            )
            assert accepted.status_code == 202
        refused = await client.post(
            two_gateways[1] + EVENTS, json=tenant.event(), headers=tenant.headers
        )
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0
    assert "events-create" in refused.headers["ratelimit"]


async def test_lost_secret_replace_deploy_verify_revoke(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    # "Full API key secrets are shown only once": nothing returns the secret again.
    listed = (await api.get(KEYS, headers=tenant.owner_headers)).json()
    assert tenant.key not in str(listed)
    assert tenant.key.split("_")[3] not in str(listed)
    old_id = next(k["id"] for k in listed["docs"] if k["prefix"] == tenant.key.split("_")[2])

    replacement = await api.post(
        KEYS,
        json={"name": "replacement", "scopes": ["channels:read", "events:create", "events:read"]},
        headers=tenant.owner_headers,
    )
    new_key = bearer(replacement.json()["secret"])
    assert (await api.post(EVENTS, json=tenant.event(), headers=new_key)).status_code == 201
    revoked = await api.post(f"{KEYS}/{old_id}/revoke", json={"reason": "secret lost"},
                             headers=tenant.owner_headers)  # fmt: skip
    assert revoked.json()["status"] == "revoked"
    assert (await api.get(CHANNELS, headers=tenant.headers)).status_code == 401
    assert (await api.get(CHANNELS, headers=new_key)).status_code == 200
    async with db.acquire() as conn:
        trail = await key_store.lifecycle(conn, uuid.UUID(old_id))
    assert (trail[-1]["action"], trail[-1]["reason"]) == ("revoked", "secret lost")


async def test_event_not_visible_draft_date_timezone_and_channel(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    draft = await api.post(EVENTS, json=tenant.event(status="draft", title="Hidden draft"),
                           headers=tenant.headers)  # fmt: skip
    event = draft.json()
    assert (draft.status_code, event["status"]) == (201, "draft")

    # "Check whether the event was created as a draft or published listing."
    published = await api.get(EVENTS, params={"status": "published"}, headers=tenant.headers)
    assert event["id"] not in [e["id"] for e in published.json()["docs"]]
    assert (await api.post(f"{EVENTS}/{event['id']}/publish", headers=tenant.headers)).json()[
        "status"
    ] == "published"

    async def listed_as_published() -> bool:
        page = await api.get(EVENTS, params={"status": "published"}, headers=tenant.headers)
        return event["id"] in [e["id"] for e in page.json()["docs"]]

    await eventually(listed_as_published)

    # "Check the event date, timezone, and channel placement."
    assert (event["startAt"], event["timezone"]) == ("2026-06-12T18:00:00-04:00",
                                                     "America/New_York")  # fmt: skip
    window = {"startsAfter": "2026-06-12T22:00:00Z", "startsBefore": "2026-06-12T22:00:01Z"}
    in_window = await api.get(EVENTS, params=window, headers=tenant.headers)
    assert [e["id"] for e in in_window.json()["docs"]] == [event["id"]]
    elsewhere = await make_tenant()
    other_channel = await api.get(EVENTS, params={"channelId": elsewhere.channel_id},
                                  headers=tenant.headers)  # fmt: skip
    assert other_channel.json()["totalDocs"] == 0

    # "Check ticket links, images": a link a listing cannot show is refused up front.
    refused = await api.post(
        EVENTS,
        json=tenant.event(images=[{"url": "http://cdn.example.com/a.jpg", "alt": "stage"}],
                          ticketLinks=[{"url": "ftp://tickets.example.com", "label": "Buy"}]),
        headers=tenant.headers,
    )  # fmt: skip
    assert refused.status_code == 422
    paths = {f["path"] for f in error_of(refused)["fields"]}  # type: ignore[attr-defined]
    assert {"images.0.url", "ticketLinks.0.url"} <= paths
