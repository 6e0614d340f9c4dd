"""Security of the people side on the real stack: nobody reads another person's RSVPs,
saves, inbox or calendar (BOLA); a revoked session or calendar URL stops at once; bodies
cannot set what a person may not (mass assignment); the pages' forms need their CSRF token
and their session cookie is HttpOnly and SameSite; the JSON API takes no cookie."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration.conftest import Tenant
from tests.integration.people_support import (
    PASSWORD,
    PEOPLE,
    notices_of_kind,
    published_event,
    rsvp,
    sign_up,
)

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def test_nobody_reads_or_changes_another_persons_plans(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    ada, bo = await sign_up(discovery, "Ada"), await sign_up(discovery, "Bo")
    event_id = await published_event(api, discovery, tenant, capacity=1)
    await rsvp(discovery, ada, event_id, "going")
    await discovery.put(f"{PEOPLE}/me/saves/{event_id}", headers=ada.headers)
    await rsvp(discovery, bo, event_id, "going")  # waitlisted behind Ada
    await rsvp(discovery, bo, event_id, "not_going")
    await discovery.post(
        f"{PEOPLE}/me/friend-requests", json={"email": ada.email}, headers=bo.headers
    )
    ada_notice = (await notices_of_kind(discovery, ada, "friend_request"))[0]

    for listing in ("rsvps", "saves", "notifications", "friends", "friend-requests", "follows"):
        text = (await discovery.get(f"{PEOPLE}/me/{listing}", headers=bo.headers)).text
        assert ada.email not in text, listing
        assert '"Ada"' not in text, listing
    assert (await discovery.get(f"{PEOPLE}/me/saves", headers=bo.headers)).json()["docs"] == []
    bo_rsvps = (await discovery.get(f"{PEOPLE}/me/rsvps", headers=bo.headers)).json()["docs"]
    assert [d["rsvp"] for d in bo_rsvps] == ["not_going"]

    stolen = await discovery.patch(
        f"{PEOPLE}/me/notifications/{ada_notice['id']}", json={"read": True}, headers=bo.headers
    )
    assert stolen.status_code == 404
    assert (await discovery.get(f"{PEOPLE}/me/notifications", headers=ada.headers)).json()[
        "unreadCount"
    ] >= 1
    ada_session = (await discovery.get(f"{PEOPLE}/me/sessions", headers=ada.headers)).json()
    other = await discovery.delete(
        f"{PEOPLE}/me/sessions/{ada_session['docs'][0]['id']}", headers=bo.headers
    )
    assert other.status_code == 404
    assert (await discovery.get(f"{PEOPLE}/me", headers=ada.headers)).status_code == 200
    incoming = (await discovery.get(f"{PEOPLE}/me/friend-requests", headers=ada.headers)).json()
    request_id = incoming["docs"][0]["id"]
    hijack = await discovery.post(
        f"{PEOPLE}/me/friend-requests/{request_id}/accept", headers=bo.headers
    )
    assert hijack.status_code == 404
    counts = (await discovery.get(f"/api/discovery/v1/events/{event_id}/attendance")).json()
    assert counts["going"] == 1
    assert "Ada" not in str(counts)


async def test_calendars_open_only_with_their_own_secret(
    discovery: httpx.AsyncClient,
) -> None:
    ada = await sign_up(discovery, "Ada")
    url = (await discovery.post(f"{PEOPLE}/me/calendar-url", headers=ada.headers)).json()["url"]
    token = url.split("token=")[1]
    path = f"{PEOPLE}/me/calendar.ics"
    assert (await discovery.get(path)).status_code == 401
    for wrong in ("ppc_" + "A" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), ada.token):
        answer = await discovery.get(path, params={"token": wrong})
        assert answer.status_code == 401, wrong
        assert answer.json()["error"]["code"] == "unauthenticated"
    as_session = await discovery.get(f"{PEOPLE}/me", headers={"Authorization": f"Bearer {token}"})
    assert as_session.status_code == 401, "a calendar secret is no session"
    assert (await discovery.get(path, params={"token": token})).status_code == 200


@pytest.mark.parametrize(
    ("method", "route", "body", "field"),
    [
        ("PATCH", "/me", {"email": "new@example.com"}, "email"),
        ("PATCH", "/me", {"displayName": "x", "id": 1}, "id"),
        ("PATCH", "/me", {"lockedUntil": None}, "lockedUntil"),
        ("PUT", "/me/reminders", {"minutesBefore": [60], "personId": 1}, "personId"),
        ("PUT", "/me/reminders", {"minutesBefore": [60, 60]}, "minutesBefore"),
        ("PUT", "/me/reminders", {"minutesBefore": [0]}, "minutesBefore.0"),
        ("PATCH", f"/me/notifications/{'0' * 8}-0000-0000-0000-{'0' * 12}",
         {"read": True, "personId": 1}, "personId"),
    ],
)  # fmt: skip
async def test_bodies_refuse_fields_a_person_may_not_set(
    discovery: httpx.AsyncClient, method: str, route: str, body: dict[str, object], field: str
) -> None:
    ada = await sign_up(discovery, "Ada")
    answer = await discovery.request(method, f"{PEOPLE}{route}", json=body, headers=ada.headers)
    assert answer.status_code == 422, answer.text
    assert field in [f["path"] for f in answer.json()["error"]["fields"]]
    me = (await discovery.get(f"{PEOPLE}/me", headers=ada.headers)).json()
    assert me["email"] == ada.email


async def test_bodies_are_json_of_the_schemas_types_or_named_refusals(
    discovery: httpx.AsyncClient,
) -> None:
    ada = await sign_up(discovery, "Ada")
    json_headers = {**ada.headers, "Content-Type": "application/json"}
    deep = b"[" * 5_000 + b"]" * 5_000  # under the body bound; past json.loads's recursion
    for body in (deep, b'{"displayName": "A", "displayName": "B"}', b"garbage"):
        answer = await discovery.patch(f"{PEOPLE}/me", content=body, headers=json_headers)
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "malformed_json")
    loose = await discovery.patch(f"{PEOPLE}/me", json={"sharePlans": "yes"}, headers=ada.headers)
    assert loose.status_code == 422, loose.text
    assert loose.json()["error"]["fields"][0]["code"] == "bool_type"
    large = await discovery.patch(f"{PEOPLE}/me", content=b" " * 20_000, headers=json_headers)
    assert (large.status_code, large.json()["error"]["code"]) == (413, "payload_too_large")
    minutes = await discovery.put(
        f"{PEOPLE}/me/reminders", json={"minutesBefore": ["60"]}, headers=ada.headers
    )
    assert (minutes.status_code, minutes.json()["error"]["fields"][0]["code"]) == (422, "int_type")


async def test_sign_up_cannot_choose_its_id_or_skip_the_lock(discovery: httpx.AsyncClient) -> None:
    answer = await discovery.post(
        f"{PEOPLE}/people",
        json={"email": "mallory@example.com", "password": PASSWORD, "displayName": "M",
              "id": 1, "sharePlans": True, "failedSignins": 0},
    )  # fmt: skip
    assert answer.status_code == 422
    assert {"id", "sharePlans", "failedSignins"} <= {
        f["path"] for f in answer.json()["error"]["fields"]
    }


async def page_sign_up(pages: httpx.AsyncClient, name: str) -> str:
    form = await pages.get("/signup")
    token = _CSRF.search(form.text)
    assert token is not None
    email = f"{name.lower()}-page-{id(pages)}@example.com"
    done = await pages.post(
        "/signup",
        data={"csrf": token.group(1), "email": email, "password": PASSWORD, "displayName": name,
              "next": "/me"},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    return str(done.headers["set-cookie"])


async def test_page_sessions_are_cookies_with_csrf_protected_forms(
    api: httpx.AsyncClient, discovery: httpx.AsyncClient, tenant: Tenant
) -> None:
    async with httpx.AsyncClient(base_url=str(discovery.base_url), timeout=30) as pages:
        cookie = await page_sign_up(pages, "Ada")
        assert "pinned_people_session=pps_" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie
        event_id = await published_event(api, discovery, tenant)
        page = await pages.get(f"/events/{event_id}")
        csrf = _CSRF.search(page.text)
        assert csrf is not None

        forged = await pages.post(f"/events/{event_id}/rsvp", data={"status": "going"})
        assert forged.status_code == 403
        assert forged.headers["content-type"].startswith("text/html")
        wrong = await pages.post(f"/events/{event_id}/rsvp", data={"status": "going", "csrf": "x"})
        assert wrong.status_code == 403
        done = await pages.post(
            f"/events/{event_id}/rsvp", data={"status": "going", "csrf": csrf.group(1)}
        )
        assert done.status_code == 303
        assert 'data-rsvp="going"' in (await pages.get(f"/events/{event_id}")).text
        # A status the page never sends is refused; the place is kept (it used to withdraw).
        for odd in ({"status": "Going"}, {"status": "maybe"}, {}):
            refused = await pages.post(
                f"/events/{event_id}/rsvp", data={**odd, "csrf": csrf.group(1)}
            )
            assert refused.status_code == 422, odd
        assert 'data-rsvp="going"' in (await pages.get(f"/events/{event_id}")).text

        session = pages.cookies["pinned_people_session"]
        cookie_only = await pages.get(f"{PEOPLE}/me")
        assert cookie_only.status_code == 401, "the JSON API takes no cookie"
        as_bearer = await discovery.get(
            f"{PEOPLE}/me", headers={"Authorization": f"Bearer {session}"}
        )
        assert as_bearer.status_code == 200

        out = await pages.post("/signout", data={"csrf": csrf.group(1)})
        assert out.status_code == 303
        revoked = await discovery.get(
            f"{PEOPLE}/me", headers={"Authorization": f"Bearer {session}"}
        )
        assert revoked.status_code == 401, "signing out revokes the session itself"


async def test_sign_in_forms_need_their_double_submit_token_and_never_redirect_away(
    discovery: httpx.AsyncClient,
) -> None:
    ada = await sign_up(discovery, "Ada")
    async with httpx.AsyncClient(base_url=str(discovery.base_url), timeout=30) as pages:
        no_token = await pages.post("/signin", data={"email": ada.email, "password": PASSWORD})
        assert no_token.status_code == 403
        form = await pages.get("/signin", params={"next": "//evil.example.com/x"})
        token = _CSRF.search(form.text)
        assert token is not None
        done = await pages.post(
            "/signin",
            data={"csrf": token.group(1), "email": ada.email, "password": PASSWORD,
                  "next": "//evil.example.com/x"},
        )  # fmt: skip
        assert done.status_code == 303
        assert done.headers["location"] == "/me"


async def test_a_refused_sign_up_form_comes_back_with_what_was_typed(
    discovery: httpx.AsyncClient,
) -> None:
    async with httpx.AsyncClient(base_url=str(discovery.base_url), timeout=30) as pages:
        form = await pages.get("/signup", params={"next": "/me/inbox"})
        token = _CSRF.search(form.text)
        assert token is not None
        typed = {"csrf": token.group(1), "email": "ada@example", "password": "short",
                 "displayName": 'Ada "<b>"', "next": "/me/inbox"}  # fmt: skip
        refused = await pages.post("/signup", data=typed)
        assert refused.status_code == 422
        page = refused.text
        assert 'value="Ada &#34;&lt;b&gt;&#34;"' in page  # kept, and escaped
        assert 'value="ada@example"' in page
        assert 'value="short"' not in page  # never the password
        assert 'name="next" value="/me/inbox"' in page
