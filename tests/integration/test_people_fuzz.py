"""The discovery side fuzzed on the real stack: no body and no query makes a 5xx.

Hypothesis sends raw bytes (tests/strategies.py `raw_bodies`) to every people API route
whose endpoint reads a body, signed in as a person, and hostile values (text, cursors that
decode to deep or odd JSON, numbers) for the query parameters of the listings that page with
cursors. Every answer is below 500, and every 4xx is the error envelope. The routes come
from the route table, so a new body-taking route is fuzzed without being listed here.
"""

from __future__ import annotations

import base64
import inspect
import re
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from services.discovery.web.people_routes import routes as people_routes
from tests.integration.conftest import Tenant
from tests.integration.people_support import PersonClient, published_event, sign_up
from tests.integration.test_fuzz_bodies import assert_envelope
from tests.strategies import raw_bodies

_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _body_routes() -> list[tuple[str, str]]:
    """(method, path) of every people API route whose endpoint reads a body."""
    found = []
    for route in people_routes():
        if isinstance(route, Route) and "read_body(" in inspect.getsource(route.endpoint):
            found += [
                (method, route.path) for method in sorted(route.methods or ()) if method != "HEAD"
            ]
    return found


BODY_ROUTES = _body_routes()


@pytest.fixture
async def person_and_ids(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> tuple[PersonClient, dict[str, str]]:
    event_id = await published_event(api, discovery, tenant)
    person = await sign_up(discovery, "Fuzz")
    ids = {"eventId": event_id, "kind": "city", "target": "place-paris",
           "notificationId": str(uuid.uuid4()), "requestId": str(uuid.uuid4()),
           "sessionId": str(uuid.uuid4()), "personId": "1"}  # fmt: skip
    return person, ids


def test_the_routes_that_read_bodies_are_found() -> None:
    assert ("POST", "/api/people/v1/people") in BODY_ROUTES
    assert ("PUT", "/api/people/v1/me/rsvps/{eventId:event}") in BODY_ROUTES


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
@settings(max_examples=30)
@given(data=st.data())
async def test_no_body_makes_a_5xx(
    discovery: httpx.AsyncClient,
    person_and_ids: tuple[PersonClient, dict[str, str]],
    method: str,
    path: str,
    data: st.DataObject,
) -> None:
    person, ids = person_and_ids
    url = re.sub(r"{(\w+)(:\w+)?}", lambda m: ids[m.group(1)], path)
    raw = data.draw(raw_bodies(_ANY_JSON), label="body")
    headers = {**person.headers, "Content-Type": "application/json"}
    assert_envelope(await discovery.request(method, url, content=raw, headers=headers))


def _as_cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSORS = st.one_of(
    st.text(max_size=40),
    st.integers(1, 3_000).map(lambda depth: _as_cursor(b"[" * depth + b"]" * depth)),
    st.sampled_from([b"NaN", b"[1, 2, 3]", b'["a", "b", "c"]', b"null", b'["feed", 1, 2]']).map(
        _as_cursor
    ),
    _ANY_JSON.map(lambda value: _as_cursor(repr(value).encode())),
)
QUERY_VALUES = st.one_of(st.text(max_size=30), st.integers().map(str), st.floats().map(str))
LISTINGS = (
    "/api/people/v1/me/feed", "/api/people/v1/me/saves", "/api/people/v1/me/rsvps",
    "/api/people/v1/me/notifications", "/api/discovery/v1/events", "/api/discovery/v1/channels",
    "/search",
)  # fmt: skip


@pytest.mark.parametrize("path", LISTINGS)
@settings(max_examples=30)
@given(cursor=CURSORS, limit=QUERY_VALUES, extra=st.sampled_from(["q", "from", "lat", "radiusKm"]),
       value=QUERY_VALUES)  # fmt: skip
async def test_no_cursor_or_query_makes_a_5xx(
    discovery: httpx.AsyncClient,
    person_and_ids: tuple[PersonClient, dict[str, str]],
    path: str,
    cursor: str,
    limit: str,
    extra: str,
    value: str,
) -> None:
    person, _ = person_and_ids
    params: dict[str, Any] = {"cursor": cursor, "limit": limit}
    if path == "/api/discovery/v1/events" or path == "/search":
        params[extra] = value
    response = await discovery.get(path, params=params, headers=person.headers)
    if path == "/search":  # a page: its errors are pages too
        assert response.status_code < 500, response.text
    else:
        assert_envelope(response)


async def test_a_nul_anywhere_is_a_named_refusal_never_a_500(
    discovery: httpx.AsyncClient, person_and_ids: tuple[PersonClient, dict[str, str]]
) -> None:
    """PostgreSQL refuses a NUL in text: every search, slug lookup and body that reached it
    with one was a 500, most of them open to anyone (from a new user's trial)."""
    person, _ = person_and_ids
    for path in ("/api/discovery/v1/events?q=caf%C3%A9%00", "/api/discovery/v1/channels?q=%00",
                 "/search?q=%00"):  # fmt: skip
        answer = await discovery.get(path)
        assert answer.status_code == 400, (path, answer.text)
    for path in (
        "/channels/de%00mo",
        "/feeds/channels/de%00mo.ics",
        "/api/discovery/v1/channels/a%00",
    ):
        assert (await discovery.get(path)).status_code == 404, path
    follow = await discovery.put(
        "/api/people/v1/me/follows/channel/de%00mo", headers=person.headers
    )
    assert follow.status_code == 404, follow.text
    api_answer = await discovery.get("/api/discovery/v1/events?q=%00")
    assert api_answer.json()["error"]["fields"][0]["path"] == "q"
    for method, path, body in (
        ("POST", "/api/people/v1/people",
         {"email": "a@example.com\u0000", "password": "correct horse battery", "displayName": "A"}),
        ("POST", "/api/people/v1/sessions", {"email": "a@example.com\u0000", "password": "x"}),
        ("PATCH", "/api/people/v1/me", {"displayName": "a\u0000b"}),
        ("POST", "/api/people/v1/me/friend-requests", {"email": "b\u0000@example.com"}),
    ):  # fmt: skip
        answer = await discovery.request(method, path, json=body, headers=person.headers)
        assert answer.status_code == 422, (path, answer.text)
        assert "nul_character" in [f["code"] for f in answer.json()["error"]["fields"]], answer.text
