"""POST /events/batch: one result per item, partial success, idempotent per item."""

from __future__ import annotations

import asyncpg
import httpx

from tests.integration.conftest import MakeTenant, Tenant, eventually, rows_of

BATCH = "/api/public/v1/events/batch"


async def test_partial_success_is_reported_item_by_item(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant, db: asyncpg.Pool
) -> None:
    other = await make_tenant()
    items = [
        {**tenant.event(title="Feed 1"), "idempotencyKey": "feed-1"},
        {**tenant.event(title="Feed 2"), "idempotencyKey": "feed-2"},
        tenant.event(title="Bad zone", timezone="Nowhere/Else"),
        tenant.event(title="Not mine", channelId=other.channel_id),
        {**tenant.event(title="Feed 5"), "sourceId": "row-5"},
    ]
    response = await api.post(BATCH, json={"events": items}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "accepted", "accepted", "invalid", "forbidden", "accepted"
    ]  # fmt: skip
    assert body["counts"] == {"accepted": 3, "invalid": 1, "forbidden": 1}
    assert body["results"][2]["error"]["fields"][0]["path"] == "events.2.timezone"
    assert body["results"][3]["error"]["code"] == "channel_forbidden"
    await eventually(lambda: _has(db, tenant, 3))
    first = body["results"][0]
    read = await api.get(first["location"], headers=tenant.headers)
    assert (read.status_code, read.json()["title"]) == (200, "Feed 1")


async def test_resending_a_batch_stores_nothing_twice(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    items = [
        {**tenant.event(title=f"Nightly {i}"), "idempotencyKey": f"nightly-{i}"} for i in range(20)
    ]
    first = await api.post(BATCH, json={"events": items}, headers=tenant.headers)
    assert first.json()["counts"] == {"accepted": 20}
    await eventually(lambda: _has(db, tenant, 20))
    again = await api.post(BATCH, json={"events": items}, headers=tenant.headers)
    assert again.json()["counts"] == {"replayed": 20}
    assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in first.json()["results"]]
    changed = [{**items[0], "title": "Changed"}]
    reused = await api.post(BATCH, json={"events": changed}, headers=tenant.headers)
    assert reused.json()["results"][0]["error"]["code"] == "idempotency_key_reused"
    assert await rows_of(db, tenant) == 20


async def test_batch_limits_are_validation_errors(api: httpx.AsyncClient, tenant: Tenant) -> None:
    too_many = {"events": [tenant.event()] * 501}
    for body in ({"events": []}, too_many, {"items": []}):
        response = await api.post(BATCH, json=body, headers=tenant.headers)
        assert response.status_code == 422, response.text


async def _has(db: asyncpg.Pool, tenant: Tenant, count: int) -> bool:
    return await rows_of(db, tenant) == count
