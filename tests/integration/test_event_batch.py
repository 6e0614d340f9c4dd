"""POST /events/batch: one result per item, partial success, idempotent per item."""

from __future__ import annotations

import json

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from devstack.stack import Servers
from shared.adapters.kafka import REQUEST_ID_HEADER, header
from shared.contracts.messages import decode_ingest_commands
from shared.contracts.topics import TOPIC_SPECS, Topic
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


async def test_a_key_used_twice_in_one_batch_stands_for_its_first_item(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    same = {**tenant.event(title="Twice"), "idempotencyKey": "b-dup"}
    other = {**tenant.event(title="Twice, changed"), "idempotencyKey": "b-dup"}
    response = await api.post(BATCH, json={"events": [same, same, other]}, headers=tenant.headers)
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected"]
    assert results[0]["id"] == results[1]["id"]
    assert results[2]["error"]["code"] == "idempotency_key_reused"
    assert results[2]["error"]["fields"][0]["path"] == "events.2.idempotencyKey"
    await eventually(lambda: _has(db, tenant, 1))
    read = await api.get(results[0]["location"], headers=tenant.headers)
    assert read.json()["title"] == "Twice"


async def test_a_feed_sending_all_its_rows_again_updates_them_in_place(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """A sync job sends every row of its sheet on every run, each naming its row: the second
    run replaces the events the first stored (one older than the stored copy changes
    nothing), and the channel still holds one event per row."""
    older, newer = "2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z"
    rows = [{**tenant.event(title=f"Row {i}"), "sourceId": f"sheet-row-{i}",
             "sourceUpdatedAt": older if i else newer} for i in range(40)]  # fmt: skip
    first = await api.post(BATCH, json={"events": rows}, headers=tenant.headers)
    assert first.json()["counts"] == {"accepted": 40}, first.text
    await eventually(lambda: _has(db, tenant, 40))
    edited = [{**row, "title": f"{row['title']} (edited)", "sourceUpdatedAt":
               older if i == 0 else newer} for i, row in enumerate(rows)]  # fmt: skip
    again = await api.post(BATCH, json={"events": edited}, headers=tenant.headers)
    assert again.json()["counts"] == {"accepted": 40}, again.text
    assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in first.json()["results"]]

    async def titles() -> list[str] | None:
        stored = await db.fetch(
            "SELECT title FROM events WHERE owner_account_id = $1 AND version > 1"
            " ORDER BY source_id", tenant.account_id,
        )  # fmt: skip
        return [r["title"] for r in stored] if len(stored) == 39 else None

    assert await eventually(titles) == sorted(f"Row {i} (edited)" for i in range(1, 40))
    assert await rows_of(db, tenant) == 40
    kept = await db.fetchrow(
        "SELECT title, version FROM events WHERE owner_account_id = $1 AND source_id = $2",
        tenant.account_id, "sheet-row-0",
    )  # fmt: skip
    assert (kept["title"], kept["version"]) == ("Row 0", 1)  # the stale row changed nothing


async def test_items_the_store_could_not_hold_are_named_whatever_the_body_spells(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    """The body's text decides whether items skip their own storability check; every
    spelling of an unstorable value still fails its item, naming the field."""
    clean = json.dumps(tenant.event(title="Zürich \u00e9t\u00e9 🎷"), ensure_ascii=True)
    items = [
        clean,
        json.dumps(tenant.event(title="a\x00b")),  # escaped as \u0000
        json.dumps(tenant.event(title="\udc00")),  # a lone surrogate, escaped
        json.dumps(tenant.event()).replace(
            '"title"', '"price":{"min":1e400,"max":1,"currency":"USD"},"title"'
        ),  # past a double's range: decoded as inf
        json.dumps(tenant.event()).replace('"title"', f'"capacity":{"9" * 320}.0,"title"'),
    ]
    response = await api.post(
        BATCH,
        content=f'{{"events":[{",".join(items)}]}}',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["invalid"] * 4
    fields = [(f["path"], f["code"]) for r in results[1:] for f in r["error"]["fields"]]
    assert ("events.1.title", "nul_character") in fields
    assert ("events.2.title", "invalid_unicode") in fields
    assert ("events.3.price.min", "non_finite_number") in fields
    assert ("events.4.capacity", "non_finite_number") in fields
    await eventually(lambda: _has(db, tenant, 1))


async def test_batch_limits_are_validation_errors(api: httpx.AsyncClient, tenant: Tenant) -> None:
    too_many = {"events": [tenant.event()] * 501}
    for body in ({"events": []}, too_many, {"items": []}):
        response = await api.post(BATCH, json=body, headers=tenant.headers)
        assert response.status_code == 422, response.text


async def _has(db: asyncpg.Pool, tenant: Tenant, count: int) -> bool:
    return await rows_of(db, tenant) == count


async def test_a_batch_travels_as_one_message_per_partition(
    api: httpx.AsyncClient, tenant: Tenant, stack: Servers, db: asyncpg.Pool
) -> None:
    items = [
        {**tenant.event(title=f"Grouped {i}"), "idempotencyKey": f"grouped-{i}"} for i in range(60)
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka_bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        spec = next(spec for spec in TOPIC_SPECS if spec.topic == Topic.INGEST)
        partitions = [TopicPartition(Topic.INGEST, p) for p in range(spec.partitions)]
        consumer.assign(partitions)
        before = await consumer.end_offsets(partitions)
        response = await api.post(BATCH, json={"events": items}, headers=tenant.headers)
        assert response.json()["counts"] == {"accepted": 60}
        request_id = response.headers["x-request-id"]
        after = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, before[tp])
        messages = await _records_between(consumer, after, request_id)
    finally:
        await consumer.stop()
    ids = [r["id"] for r in response.json()["results"]]
    assert len(messages) <= len(partitions)  # 60 items, at most one message per partition
    carried = [str(e.command.event_id) for m in messages for e in decode_ingest_commands(m.value)]
    assert sorted(carried) == sorted(ids)  # each item once
    for message in messages:  # in the request's order within each message
        own = [str(e.command.event_id) for e in decode_ingest_commands(message.value)]
        assert own == [i for i in ids if i in own]
    await eventually(lambda: _has(db, tenant, 60))


async def _records_between(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], request_id: str
) -> list[ConsumerRecord[bytes, bytes]]:
    found: list[ConsumerRecord[bytes, bytes]] = []
    for _ in range(100):
        positions = {tp: await consumer.position(tp) for tp in ends}
        if all(positions[tp] >= ends[tp] for tp in ends):
            break
        batch = await consumer.getmany(timeout_ms=200)
        for records in batch.values():
            found += [r for r in records if header(r.headers, REQUEST_ID_HEADER) == request_id]
    return found
