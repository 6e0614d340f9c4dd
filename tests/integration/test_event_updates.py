"""Changing events: PATCH, publish / unpublish / cancel, upsert by sourceId, stale updates."""

from __future__ import annotations

import asyncpg
import httpx

from shared.domain.api_keys import Scope
from tests.integration.conftest import MakeTenant, Tenant, eventually

EVENTS = "/api/public/v1/events"


async def stored_event(api: httpx.AsyncClient, tenant: Tenant, **changes: object) -> dict:
    response = await api.post(EVENTS, json=tenant.event(**changes), headers=tenant.headers)
    assert response.status_code in (201, 202), response.text
    location = response.headers["location"]

    async def read() -> dict | None:
        got = await api.get(location, headers=tenant.headers)
        return got.json() if got.status_code == 200 else None

    return await eventually(read)


async def test_patch_changes_only_the_fields_sent(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    event = await stored_event(api, tenant, description="Bring a laptop")
    response = await api.patch(
        f"{EVENTS}/{event['id']}", json={"title": "API Launch Workshop (moved)"},
        headers=tenant.headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "API Launch Workshop (moved)"
    assert updated["description"] == "Bring a laptop"
    assert updated["startAt"] == event["startAt"]
    version = await db.fetchval("SELECT version FROM events WHERE id = $1::uuid", event["id"])
    assert version == 2


async def test_patch_is_validated_against_the_stored_event(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    event = await stored_event(api, tenant)
    for patch, field in (
        ({"endAt": "2026-06-12T17:00:00-04:00"}, "endAt"),
        ({"timezone": "Europe/Paris"}, "startAt"),
        ({"title": None}, "title"),
        ({"channelId": 1}, "channelId"),
        ({"status": "cancelled"}, "status"),
    ):
        response = await api.patch(f"{EVENTS}/{event['id']}", json=patch, headers=tenant.headers)
        assert response.status_code == 422, (patch, response.text)
        assert field in {f["path"] for f in response.json()["error"]["fields"]}, patch


async def test_patch_needs_events_update_and_access(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    event = await stored_event(api, tenant)
    creator = await make_tenant(scopes=(Scope.EVENTS_CREATE, Scope.EVENTS_READ))
    stranger = await make_tenant()
    url = f"{EVENTS}/{event['id']}"
    denied = await api.patch(url, json={"title": "x"}, headers=creator.headers)
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "missing_scope")
    hidden = await api.patch(url, json={"title": "x"}, headers=stranger.headers)
    assert hidden.status_code == 404


async def test_publish_unpublish_cancel(api: httpx.AsyncClient, tenant: Tenant) -> None:
    event = await stored_event(api, tenant, status="draft")
    url = f"{EVENTS}/{event['id']}"
    for action, status in (("publish", "published"), ("unpublish", "draft"),
                           ("publish", "published"), ("cancel", "cancelled")):  # fmt: skip
        response = await api.post(f"{url}/{action}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    refused = await api.post(f"{url}/publish", headers=tenant.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "event_cancelled")
    listed = await api.get(EVENTS, params={"status": "cancelled"}, headers=tenant.headers)
    assert [e["id"] for e in listed.json()["docs"]] == [event["id"]]


async def test_a_resent_source_record_corrects_a_cancelled_event_but_never_revives_it(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    event = await stored_event(api, tenant, sourceId="crm-record-8", title="Open studio")
    cancelled = await api.post(f"{EVENTS}/{event['id']}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    resent = await api.post(
        EVENTS, json=tenant.event(sourceId="crm-record-8", title="Open studio (called off)"),
        headers=tenant.headers,
    )  # fmt: skip
    assert resent.status_code == 200, resent.text
    assert (resent.json()["title"], resent.json()["status"]) == (
        "Open studio (called off)", "cancelled",
    )  # fmt: skip


async def test_same_source_id_upserts_instead_of_duplicating(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    first = await stored_event(api, tenant, sourceId="crm-record-7", title="Open studio")
    again = await api.post(
        EVENTS, json=tenant.event(sourceId="crm-record-7", title="Open studio (sold out)"),
        headers=tenant.headers,
    )  # fmt: skip
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    assert again.json()["title"] == "Open studio (sold out)"
    count = await db.fetchval(
        "SELECT count(*) FROM events WHERE owner_account_id = $1", tenant.account_id
    )
    assert count == 1


async def test_stale_update_never_overwrites_a_newer_one(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    newer = "2026-05-02T10:00:00Z"
    older = "2026-05-01T10:00:00Z"
    event = await stored_event(
        api, tenant, sourceId="cms-doc-9", title="Newer title", sourceUpdatedAt=newer
    )
    late = await api.post(
        EVENTS, json=tenant.event(sourceId="cms-doc-9", title="Older title",
                                  sourceUpdatedAt=older), headers=tenant.headers,
    )  # fmt: skip
    assert (late.status_code, late.json()["error"]["code"]) == (409, "stale_update")
    keyed = {**tenant.headers, "Idempotency-Key": "late-patch-1"}
    for attempt in range(2):  # a retry with the key answers the recorded refusal, not 200
        late_patch = await api.patch(
            f"{EVENTS}/{event['id']}", json={"title": "Older patch", "sourceUpdatedAt": older},
            headers=keyed,
        )  # fmt: skip
        assert (late_patch.status_code, late_patch.json()["error"]["code"]) == (
            409, "stale_update",
        ), (attempt, late_patch.text)  # fmt: skip
    current = (await api.get(f"{EVENTS}/{event['id']}", headers=tenant.headers)).json()
    assert current["title"] == "Newer title"
    assert current["sourceUpdatedAt"] == "2026-05-02T10:00:00Z"


async def test_patch_retry_with_same_key_applies_once(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    event = await stored_event(api, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "patch-once"}
    url = f"{EVENTS}/{event['id']}"
    first = await api.patch(url, json={"title": "Renamed"}, headers=headers)
    second = await api.patch(url, json={"title": "Renamed"}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers["idempotent-replayed"] == "true"
    assert await db.fetchval("SELECT version FROM events WHERE id = $1::uuid", event["id"]) == 2
    other = await api.post(f"{url}/cancel", headers=headers)
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_a_version_sent_once_still_shows_while_it_still_counts(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Resent without sourceUpdatedAt, a record keeps the stored one for its stale check, and
    the event shows it, so a client can see the value an update must beat."""
    await stored_event(api, tenant, sourceId="crm-95", sourceUpdatedAt="2026-11-02T00:00:00Z")
    again = await api.post(
        EVENTS, json=tenant.event(sourceId="crm-95", title="Resent"), headers=tenant.headers
    )
    assert (again.status_code, again.json()["title"]) == (200, "Resent"), again.text
    assert again.json()["sourceUpdatedAt"] == "2026-11-02T00:00:00Z"
    older = tenant.event(sourceId="crm-95", sourceUpdatedAt="2026-11-01T00:00:00Z")
    late = await api.post(EVENTS, json=older, headers=tenant.headers)
    assert late.json()["error"]["code"] == "stale_update"


async def test_a_change_that_changes_nothing_moves_neither_version_nor_updated_at(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """PATCH {}, an unpublish sent twice and a feed's unchanged records (one by one and in a
    batch) are applied, but readers see no change: the version, updatedAt and the change
    stream stay as they were."""
    records = [await stored_event(api, tenant, sourceId=f"feed-row-{i}") for i in range(3)]
    event, url = records[0], f"{EVENTS}/{records[0]['id']}"
    unpublished = await api.post(f"{url}/unpublish", headers=tenant.headers)
    assert unpublished.status_code == 200, unpublished.text
    before = await _versions(db, records)

    assert (await api.patch(url, json={}, headers=tenant.headers)).status_code == 200
    same_title = await api.patch(url, json={"title": event["title"]}, headers=tenant.headers)
    assert same_title.json()["updatedAt"] == unpublished.json()["updatedAt"]
    again = await api.post(f"{url}/unpublish", headers=tenant.headers)
    assert (again.status_code, again.json()["status"]) == (200, "draft")
    assert again.json()["updatedAt"] == unpublished.json()["updatedAt"]
    resent = await api.post(
        EVENTS, json=tenant.event(sourceId="feed-row-1"), headers=tenant.headers
    )
    assert (resent.status_code, resent.json()["updatedAt"]) == (200, records[1]["updatedAt"])
    batch = [tenant.event(sourceId=f"feed-row-{i}", status="draft" if i == 0 else "published")
             for i in range(3)]  # fmt: skip
    answer = await api.post(f"{EVENTS}/batch", json={"events": batch}, headers=tenant.headers)
    for result in answer.json()["results"]:
        operation = result["operation"]

        async def applied(operation: str = operation) -> dict | None:
            body = (await api.get(operation, headers=tenant.headers)).json()
            return body if body["status"] != "accepted" else None

        assert (await eventually(applied))["status"] == "applied"
    assert await _versions(db, records) == before

    changed = await api.patch(url, json={"title": "Moved indoors"}, headers=tenant.headers)
    assert changed.json()["updatedAt"] > unpublished.json()["updatedAt"]
    assert (await _versions(db, records))[0][0] == before[0][0] + 1


async def _versions(db: asyncpg.Pool, events: list[dict]) -> list[tuple[int, object]]:
    """Each event's version and updated_at (the outbox trigger records a change only when
    the version moves, migration 0013)."""
    rows = await db.fetch(
        "SELECT version, updated_at FROM events WHERE id = ANY($1::uuid[]) ORDER BY source_id",
        [e["id"] for e in events],
    )
    return [(r["version"], r["updated_at"]) for r in rows]
