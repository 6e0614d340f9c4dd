"""Every 202 can be followed to its fate, on the real stack.

A 202 names its operation (`Operation-Location`); the operation answers `accepted`, then for
good `applied` with the event or `rejected` with the error a waiting caller would have got. A
retry of a rejected command with the same Idempotency-Key answers that rejection, never
"accepted" again. What the store cannot hold is refused at the edge on every route.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from tests.integration.conftest import MakeTenant, Tenant, eventually
from tests.integration.test_events_api import created_event

EVENTS = "/api/public/v1/events"
ASYNC = {"Prefer": "respond-async"}


async def final_operation(api: httpx.AsyncClient, tenant: Tenant, url: str) -> dict[str, Any]:
    async def decided() -> dict[str, Any] | None:
        answer = await api.get(url, headers=tenant.headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] == "accepted":
            assert answer.headers["retry-after"] == "1"
            return None
        return body

    return await eventually(decided)


async def test_an_accepted_create_is_followed_to_applied(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    answer = await api.post(EVENTS, json=tenant.event(), headers={**tenant.headers, **ASYNC})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert answer.headers["operation-location"] == body["operation"]
    assert body["operation"].endswith(body["operationId"])
    assert answer.headers["location"] == f"{EVENTS}/{body['id']}"
    operation = await final_operation(api, tenant, body["operation"])
    assert (operation["status"], operation["result"]) == ("applied", "created")
    assert operation["kind"] == "create_event"
    assert operation["event"]["id"] == operation["eventId"] == body["id"]
    assert operation["decidedAt"] >= operation["acceptedAt"][:19]


async def test_a_rejected_command_reads_rejected_and_its_retry_gets_the_rejection(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    event = await created_event(
        api, tenant, await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
    )
    cancelled = await api.post(f"{EVENTS}/{event['id']}/cancel", headers=tenant.headers)
    assert cancelled.status_code in (200, 202), cancelled.text
    await eventually(lambda: _status_is(api, tenant, event["id"], "cancelled"))
    # The gateway cannot know the event is cancelled by the time the publisher applies this:
    # accepted, then rejected by the publisher.
    keyed = {**tenant.headers, **ASYNC, "Idempotency-Key": f"publish-{uuid.uuid4()}"}
    publish = f"{EVENTS}/{event['id']}/publish"
    accepted = await api.post(publish, headers=keyed)
    assert accepted.status_code == 202, accepted.text
    operation = await final_operation(api, tenant, accepted.headers["operation-location"])
    assert operation["status"] == "rejected"
    assert operation["error"]["code"] == "event_cancelled"
    assert "cancelled" in operation["error"]["message"]
    retried = await api.post(publish, headers=keyed)
    assert retried.status_code == 409, retried.text
    assert retried.json()["error"]["code"] == "event_cancelled"


async def _status_is(api: httpx.AsyncClient, tenant: Tenant, event_id: str, status: str) -> bool:
    got = await api.get(f"{EVENTS}/{event_id}", headers=tenant.headers)
    return bool(got.status_code == 200 and got.json()["status"] == status)


async def test_a_batch_items_operation_answers_its_fate(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    items = [{**tenant.event(title="Batch fate"), "idempotencyKey": f"fate-{uuid.uuid4()}"}]
    answer = await api.post(f"{EVENTS}/batch", json={"events": items}, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["status"] == "accepted"
    assert result["operation"].endswith(result["operationId"])
    operation = await final_operation(api, tenant, result["operation"])
    assert (operation["status"], operation["event"]["title"]) == ("applied", "Batch fate")


async def test_an_operation_is_read_by_its_owner_only_and_a_forged_id_is_404(
    api: httpx.AsyncClient, tenant: Tenant, make_tenant: MakeTenant
) -> None:
    answer = await api.post(EVENTS, json=tenant.event(), headers={**tenant.headers, **ASYNC})
    url = answer.headers["operation-location"]
    other = await make_tenant()
    theirs = await api.get(url, headers=other.headers)
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "not_found")
    forged = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    for wrong in (forged, f"{EVENTS[:-7]}/operations/op_nothing", f"{EVENTS[:-7]}/operations/x"):
        refused = await api.get(wrong, headers=tenant.headers)
        assert refused.status_code == 404, (wrong, refused.text)
        assert refused.json()["error"]["code"] == "not_found"


async def test_a_reused_key_with_another_body_is_422_while_the_first_is_in_flight(
    api: httpx.AsyncClient, tenant: Tenant, db: asyncpg.Pool
) -> None:
    # A request holding the key (its row as the gateway writes it) with another body's hash.
    await db.execute(
        "INSERT INTO idempotency_inflight"
        " (owner_account_id, idempotency_key, expires_at, request_hash)"
        " VALUES ($1, 'held', now() + interval '1 minute', 'another body')",
        tenant.account_id,
    )
    headers = {**tenant.headers, "Idempotency-Key": "held"}
    refused = await api.post(EVENTS, json=tenant.event(), headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "idempotency_key_reused"


async def test_what_the_store_cannot_hold_is_refused_at_the_edge_on_every_route(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    event = await created_event(
        api, tenant, await api.post(EVENTS, json=tenant.event(), headers=tenant.headers)
    )
    cases = [
        ("POST", EVENTS, tenant.event(title="Jazz\x00Night"), "title", "nul_character"),
        (
            "POST",
            EVENTS,
            tenant.event(startAt="9999-12-31T23:00:00-05:00"),
            "startAt",
            "date_out_of_range",
        ),
        (
            "POST",
            EVENTS,
            tenant.event(startAt="0001-01-01T00:00:00Z"),
            "startAt",
            "date_out_of_range",
        ),
        (
            "POST",
            f"{EVENTS}/batch",
            {"events": [tenant.event(description="a\x00b")]},
            None,
            "nul_character",
        ),
        ("PATCH", f"{EVENTS}/{event['id']}", {"title": "x\x00"}, "title", "nul_character"),
    ]
    for method, url, body, path, code in cases:
        answer = await api.request(method, url, json=body, headers={**tenant.headers, **ASYNC})
        if path is None:  # a batch refuses the item, not the request
            (item,) = answer.json()["results"]
            assert item["status"] == "invalid", item
            assert code in {f["code"] for f in item["error"]["fields"]}, item
            continue
        assert answer.status_code == 422, (url, answer.text)
        fields = answer.json()["error"]["fields"]
        assert (path, code) in {(f["path"], f["code"]) for f in fields}, fields
    deep = b"[" * 5_000 + b"]" * 5_000
    answer = await api.post(
        EVENTS, content=deep, headers={**tenant.headers, "Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "malformed_json")
