"""The public API against the real stack: the docs' example, errors, access, pagination."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from shared.domain.api_keys import Scope
from tests.examples import RICH
from tests.integration.conftest import (
    MakeTenant,
    Tenant,
    answer_after_access_change,
    eventually,
)

EVENTS = "/api/public/v1/events"
CHANNELS = "/api/public/v1/channels"


async def created_event(api: httpx.AsyncClient, tenant: Tenant, response: httpx.Response) -> dict:
    """The stored event, whether the gateway answered 201 at once or 202 to poll."""
    assert response.status_code in (201, 202), response.text
    location = response.headers["location"]
    if response.status_code == 201:
        return response.json()

    async def fetch() -> dict | None:
        got = await api.get(location, headers=tenant.headers)
        return got.json() if got.status_code == 200 else None

    return await eventually(fetch)


async def test_docs_example_creates_an_event_that_reads_back(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        EVENTS,
        json=tenant.event(),
        headers={**tenant.headers, "Idempotency-Key": "event-api-launch-2026-06-12"},
    )
    event = await created_event(api, tenant, response)
    assert event["title"] == "API Launch Workshop"
    assert event["startAt"] == "2026-06-12T18:00:00-04:00"
    assert event["status"] == "published"
    read = await api.get(f"{EVENTS}/{event['id']}", headers=tenant.headers)
    assert read.status_code == 200
    assert read.json() == event


async def test_venue_images_tickets_and_price_round_trip(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(EVENTS, json=tenant.event(**RICH), headers=tenant.headers)
    event = await created_event(api, tenant, response)
    for field, value in RICH.items():
        assert event[field] == value, field


async def test_draft_is_stored_as_draft(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    response = await api.post(EVENTS, json=tenant.event(status="draft"), headers=tenant.headers)
    event = await created_event(api, tenant, response)
    assert (
        await db.fetchval("SELECT status FROM events WHERE id = $1::uuid", event["id"]) == "draft"
    )


async def test_respond_async_answers_202_with_a_location_that_resolves(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        EVENTS, json=tenant.event(), headers={**tenant.headers, "Prefer": "respond-async"}
    )
    assert response.status_code == 202
    assert response.json()["id"] in response.headers["location"]
    event = await created_event(api, tenant, response)
    assert event["id"] == response.json()["id"]


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["requestId"] == response.headers["x-request-id"]
    return error


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer pe_test_your_prefix_your_secret",
        "Bearer pe_test_AAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Basic dXNlcjpwYXNz",
    ],
)
async def test_missing_or_bad_key_is_401(
    api: httpx.AsyncClient, tenant: Tenant, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await api.post(EVENTS, json=tenant.event(), headers=headers)
    assert_envelope(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_key_with_valid_checksum_is_401(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    from shared.domain.api_keys import generate_key

    response = await api.get(CHANNELS, headers={"Authorization": f"Bearer {generate_key().token}"})
    assert_envelope(response, 401, "unauthorized")


async def test_revoked_key_stops_working_within_the_bound(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    assert (await api.get(CHANNELS, headers=tenant.headers)).status_code == 200  # now cached
    await db.execute(
        "UPDATE api_keys SET status = 'revoked' WHERE account_id = $1", tenant.account_id
    )
    refused = await answer_after_access_change(
        lambda: api.get(CHANNELS, headers=tenant.headers), 401
    )
    assert_envelope(refused, 401, "unauthorized")


async def test_expired_key_is_401(api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool) -> None:
    assert (await api.get(CHANNELS, headers=tenant.headers)).status_code == 200  # now cached
    await db.execute(
        "UPDATE api_keys SET expires_at = now() + interval '300 milliseconds'"
        " WHERE account_id = $1",
        tenant.account_id,
    )
    assert (await api.get(CHANNELS, headers=tenant.headers)).status_code == 200  # cached again
    await asyncio.sleep(0.5)  # expired in a cached record too: expiry is checked on each use
    assert_envelope(await api.get(CHANNELS, headers=tenant.headers), 401, "unauthorized")


async def test_key_in_query_string_is_refused(api: httpx.AsyncClient, tenant: Tenant) -> None:
    # Under the names clients use for one, and under any name when the value is a key.
    for name in ("api_key", "key", "access_token", "q"):
        response = await api.get(CHANNELS, params={name: tenant.key}, headers=tenant.headers)
        error = assert_envelope(response, 401, "unauthorized")
        assert "refused in the URL" in error["message"], name
    other = await api.get(CHANNELS, params={"key": "not-a-key"}, headers=tenant.headers)
    assert other.status_code == 200


async def test_key_without_events_create_is_403(
    api: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    reader = await make_tenant(scopes=(Scope.CHANNELS_READ,))
    response = await api.post(EVENTS, json=reader.event(), headers=reader.headers)
    error = assert_envelope(response, 403, "missing_scope")
    assert "events:create" in error["message"]


async def test_another_owners_channel_is_403_naming_channel_id(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    other = await make_tenant()
    response = await api.post(
        EVENTS, json=tenant.event(channelId=other.channel_id), headers=tenant.headers
    )
    error = assert_envelope(response, 403, "channel_forbidden")
    assert error["fields"][0]["path"] == "channelId"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
        )
        == 0
    )


async def test_member_of_a_channel_may_publish_until_removed(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    member = await make_tenant()
    await db.execute(
        "INSERT INTO channel_members (channel_id, account_id) VALUES ($1, $2)",
        tenant.channel_id,
        member.account_id,
    )
    body = member.event(channelId=tenant.channel_id)
    first = await api.post(EVENTS, json=body, headers=member.headers)
    assert first.status_code in (201, 202), first.text
    await db.execute("DELETE FROM channel_members WHERE account_id = $1", member.account_id)
    second = await answer_after_access_change(
        lambda: api.post(EVENTS, json=body, headers=member.headers), 403
    )
    assert_envelope(second, 403, "channel_forbidden")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Nowhere/Atlantis"}, "timezone"),
        ({"title": None}, "title"),
        ({"classifications": ["not-a-slug"]}, "classifications"),
        ({"startAt": "2026-06-12T18:00:00+02:00"}, "startAt"),
    ],
)
async def test_invalid_event_is_422_naming_the_field(
    api: httpx.AsyncClient, tenant: Tenant, changes: dict, field: str
) -> None:
    body = {k: v for k, v in tenant.event(**changes).items() if v is not None}
    error = assert_envelope(
        await api.post(EVENTS, json=body, headers=tenant.headers), 422, "validation_failed"
    )
    assert field in {f["path"] for f in error["fields"]}
    assert field in error["message"]


async def test_malformed_json_is_400(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.post(
        EVENTS,
        content=b'{"channelId": 42, "title": ',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_envelope(response, 400, "malformed_json")


async def test_wrong_content_type_is_415(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.post(
        EVENTS, content=b"title=x", headers={**tenant.headers, "Content-Type": "text/plain"}
    )
    assert_envelope(response, 415, "unsupported_media_type")


async def test_oversized_body_is_413(api: httpx.AsyncClient, tenant: Tenant) -> None:
    body = tenant.event(description="x" * 1_100_000)
    assert_envelope(
        await api.post(EVENTS, json=body, headers=tenant.headers), 413, "payload_too_large"
    )


async def test_unknown_route_and_wrong_method_use_the_envelope(api: httpx.AsyncClient) -> None:
    assert_envelope(await api.get("/api/public/v1/nothing-here"), 404, "not_found")
    assert_envelope(await api.delete(CHANNELS), 405, "method_not_allowed")
    wrong = await api.delete(EVENTS)
    assert_envelope(wrong, 405, "method_not_allowed")
    assert {m.strip() for m in wrong.headers["allow"].split(",")} >= {"GET", "POST"}


async def test_event_of_another_owner_is_404(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    response = await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
    event = await created_event(api, tenant, response)
    stranger = await make_tenant()
    assert_envelope(
        await api.get(f"{EVENTS}/{event['id']}", headers=stranger.headers), 404, "not_found"
    )
    mistyped = assert_envelope(
        await api.get(f"{EVENTS}/not-a-uuid", headers=tenant.headers), 404, "not_found"
    )
    assert [(f["path"], f["code"]) for f in mistyped["fields"]] == [("eventId", "uuid_parsing")]
    assert "'not-a-uuid'" in mistyped["message"]
    keys = await api.get("/api/developer/v1/keys/12/history", headers=tenant.headers)
    assert [f["path"] for f in assert_envelope(keys, 404, "not_found")["fields"]] == ["keyId"]
    unrouted = assert_envelope(await api.get(f"{EVENTS}/a/b/c"), 404, "not_found")
    assert "fields" not in unrouted  # no route has that shape: nothing to name


async def test_channels_lists_owned_and_member_channels_only_with_pagination(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    other = await make_tenant()
    for index in range(2):
        await db.execute(
            "INSERT INTO channels (owner_account_id, name) VALUES ($1, $2)",
            tenant.account_id,
            f"extra {index}",
        )
    await db.execute(
        "INSERT INTO channel_members (channel_id, account_id) VALUES ($1, $2)",
        other.channel_id,
        tenant.account_id,
    )
    first = (await api.get(CHANNELS, params={"limit": 2}, headers=tenant.headers)).json()
    second = (
        await api.get(CHANNELS, params={"limit": 2, "page": 2}, headers=tenant.headers)
    ).json()
    assert (first["totalDocs"], first["totalPages"], first["hasNextPage"]) == (4, 2, True)
    assert (second["hasPrevPage"], second["hasNextPage"], second["prevPage"]) == (True, False, 1)
    ids = {c["id"] for c in first["docs"] + second["docs"]}
    assert len(ids) == 4
    assert other.channel_id in ids
    roles = {c["id"]: c["role"] for c in first["docs"] + second["docs"]}
    assert roles[other.channel_id] == "member"
    assert roles[tenant.channel_id] == "owner"


async def test_bad_pagination_parameter_is_400_naming_it(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Digits int() refuses (superscript, circled) were a 500; full-width ones were taken.
    for name, value in (("limit", "0"), ("limit", "\u00b2"), ("limit", "\u2460"),
                        ("limit", "\uff11"), ("page", "\u00b2")):  # fmt: skip
        response = await api.get(CHANNELS, params={name: value}, headers=tenant.headers)
        error = assert_envelope(response, 400, "invalid_query_parameter")
        assert error["fields"][0]["path"] == name, value
    events = await api.get(EVENTS, params={"channelId": "\u00b2"}, headers=tenant.headers)
    assert (
        assert_envelope(events, 400, "invalid_query_parameter")["fields"][0]["path"] == "channelId"
    )


async def test_health_and_readiness(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"kafka": "ok", "postgres": "ok"}
