"""Every route that reads a body, fuzzed on the real stack: no body makes a 5xx.

Hypothesis sends raw bytes (tests/strategies.py `raw_bodies`: valid documents, the same
mutated, JSON traps such as NaN, lone surrogates and 20,000-deep nesting, arbitrary bytes)
to each body-taking route of the route tables, and to a webhook, authenticated as a caller
allowed to use it. Every answer is below 500, and every 4xx is the error envelope with a
stable code, a message and the request id. The routes come from the tables themselves, so a
new body-taking route is fuzzed without being listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateway.developer_api.routes import OPERATIONS as DEVELOPER_ROWS
from services.gateway.edge.operations import Row
from services.gateway.public_api.routes import OPERATIONS as PUBLIC_ROWS
from tests.integration.conftest import Tenant
from tests.integration.test_events_api import created_event
from tests.integration.test_webhooks import connect
from tests.strategies import event_bodies, occurrence_changes, patch_bodies, raw_bodies
from tests.webhook_senders import Generic

WEBHOOK = "/webhooks/{source}/{integrationId}"


def _body_routes() -> list[tuple[str, str]]:
    rows: list[Row] = [*PUBLIC_ROWS, *DEVELOPER_ROWS]
    found = [(r.method, r.path) for r in rows if r.method in ("POST", "PATCH", "PUT")]
    return [*found, ("POST", WEBHOOK)]


BODY_ROUTES = _body_routes()

_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _documents(path: str) -> st.SearchStrategy[Any]:
    """Near-valid documents for the route, for the mutations to start from."""
    if path.endswith("/events/batch"):
        return st.fixed_dictionaries({"events": st.lists(event_bodies(channel_id=1), max_size=3)})
    if path.endswith("/events"):
        return event_bodies(channel_id=1)
    if path.endswith("{eventId}"):
        return patch_bodies()
    if path.endswith("/occurrences/{start}"):
        return occurrence_changes()
    return _ANY_JSON


@dataclass(frozen=True)
class Target:
    url: str
    headers: dict[str, str]


@pytest.fixture
async def targets(api: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """Real ids for every path parameter, owned by the tenant; the key the fuzz may revoke or
    rotate is a spare one, not the one it authenticates with."""
    event = await created_event(
        api, tenant, await api.post("/api/public/v1/events", json=tenant.event(),
                                    headers=tenant.headers)
    )  # fmt: skip
    series = await created_event(
        api, tenant, await api.post("/api/public/v1/events", headers=tenant.headers,
                                    json=tenant.event(recurrence={"rrule": "FREQ=DAILY;COUNT=5"}))
    )  # fmt: skip
    spare = await api.post(
        "/api/developer/v1/keys", json={"name": "spare"}, headers=tenant.owner_headers
    )
    assert spare.status_code == 201, spare.text
    integration = await connect(api, tenant, Generic())
    refused = await api.post(  # a recorded delivery, for the replay route
        integration["webhookPath"], json={"id": "fuzz-1"},
        headers={"X-Webhook-Token": integration["secret"]},
    )  # fmt: skip
    assert refused.json()["status"] == "invalid", refused.text
    return {
        "deliveryId": refused.json()["deliveryId"],
        "eventId": event["id"],
        "seriesId": series["id"],  # the occurrence route's event: one that recurs
        "start": "2026-06-13",  # its second occurrence (the docs' example starts the day before)
        "keyId": spare.json()["id"],
        "integrationId": integration["id"],
        "channelId": tenant.channel_id,
        "source": "generic",
        "secret": integration["secret"],
    }


def target(path: str, ids: dict[str, Any], tenant: Tenant) -> Target:
    if "/occurrences/" in path:
        ids = {**ids, "eventId": ids["seriesId"]}
    url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
    if path == WEBHOOK:
        return Target(url, {"X-Webhook-Token": ids["secret"]})
    developer = path.startswith("/api/developer/")
    headers = tenant.owner_headers if developer else tenant.headers
    return Target(url, {**headers, "Prefer": "respond-async"})


def assert_envelope(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code < 400:
        return
    error = response.json()["error"]
    assert re.fullmatch(r"[a-z_]+", error["code"]), error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert error["requestId"] == response.headers["x-request-id"]
    for field in error.get("fields", ()):
        assert {"path", "code", "message"} <= field.keys(), field


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
@settings(max_examples=40)
@given(data=st.data())
async def test_no_body_makes_a_5xx(
    api: httpx.AsyncClient,
    tenant: Tenant,
    targets: dict[str, Any],
    method: str,
    path: str,
    data: st.DataObject,
) -> None:
    where = target(path, targets, tenant)
    raw = data.draw(raw_bodies(_documents(path)), label="body")
    headers = {**where.headers, "Content-Type": "application/json"}
    response = await api.request(method, where.url, content=raw, headers=headers)
    assert_envelope(response)
