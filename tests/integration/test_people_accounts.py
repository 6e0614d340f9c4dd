"""People's accounts on the real stack: sign-up, sessions as bearer tokens, sign-in limits
and lockout, revocation that stops at once, and deleting an account."""

from __future__ import annotations

import asyncpg
import httpx

from tests.integration.conftest import listed_routes
from tests.integration.people_support import PASSWORD, PEOPLE, sign_up


async def test_sign_up_sign_in_and_sign_out(discovery: httpx.AsyncClient) -> None:
    ada = await sign_up(discovery, "Ada")
    me = await discovery.get(f"{PEOPLE}/me", headers=ada.headers)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == ada.email
    assert me.json()["sharePlans"] is False
    assert me.json()["reminderMinutes"] == [1440, 60]

    signed_in = await discovery.post(
        f"{PEOPLE}/sessions", json={"email": ada.email.upper(), "password": PASSWORD}
    )
    assert signed_in.status_code == 201, signed_in.text
    second = {"Authorization": f"Bearer {signed_in.json()['session']['token']}"}
    assert signed_in.json()["session"]["token"].startswith("pps_")

    out = await discovery.delete(f"{PEOPLE}/sessions/current", headers=second)
    assert out.status_code == 204
    refused = await discovery.get(f"{PEOPLE}/me", headers=second)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert (await discovery.get(f"{PEOPLE}/me", headers=ada.headers)).status_code == 200


async def test_a_revoked_session_stops_at_once(discovery: httpx.AsyncClient) -> None:
    ada = await sign_up(discovery, "Ada")
    other = await discovery.post(
        f"{PEOPLE}/sessions", json={"email": ada.email, "password": PASSWORD}
    )
    other_headers = {"Authorization": f"Bearer {other.json()['session']['token']}"}
    listed = (await discovery.get(f"{PEOPLE}/me/sessions", headers=ada.headers)).json()["docs"]
    assert len(listed) == 2
    target = next(s["id"] for s in listed if not s["current"])
    revoked = await discovery.delete(f"{PEOPLE}/me/sessions/{target}", headers=ada.headers)
    assert revoked.status_code == 204
    assert (await discovery.get(f"{PEOPLE}/me", headers=other_headers)).status_code == 401
    everywhere = await discovery.delete(f"{PEOPLE}/me/sessions", headers=ada.headers)
    assert everywhere.status_code == 204
    assert (await discovery.get(f"{PEOPLE}/me", headers=ada.headers)).status_code == 401


async def test_sign_up_refuses_bad_bodies_with_the_fields_to_fix(
    discovery: httpx.AsyncClient,
) -> None:
    ada = await sign_up(discovery, "Ada")
    taken = await discovery.post(
        f"{PEOPLE}/people",
        json={"email": ada.email.upper(), "password": PASSWORD, "displayName": "Other"},
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "email_taken"
    assert taken.json()["error"]["fields"] == [
        {"path": "email", "code": "email_taken", "message": taken.json()["error"]["message"]}
    ]
    short = await discovery.post(
        f"{PEOPLE}/people", json={"email": "not-an-email", "password": "short", "displayName": ""}
    )
    assert short.status_code == 422
    paths = {f["path"] for f in short.json()["error"]["fields"]}
    assert paths == {"email", "password", "displayName"}
    form = await discovery.post(f"{PEOPLE}/people", data={"email": "a@b.co"})
    assert form.status_code == 415
    assert form.json()["error"]["code"] == "unsupported_media_type"


async def test_wrong_password_and_unknown_address_answer_alike_then_lock(
    discovery: httpx.AsyncClient,
) -> None:
    ada = await sign_up(discovery, "Ada")
    unknown = await discovery.post(
        f"{PEOPLE}/sessions", json={"email": "nobody-" + ada.email, "password": PASSWORD}
    )
    wrong = await discovery.post(
        f"{PEOPLE}/sessions", json={"email": ada.email, "password": "not it"}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"]["message"] == wrong.json()["error"]["message"]
    for _ in range(3):
        await discovery.post(f"{PEOPLE}/sessions", json={"email": ada.email, "password": "no"})
    locked = await discovery.post(f"{PEOPLE}/sessions", json={"email": ada.email, "password": "no"})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_signin_attempts"
    assert int(locked.headers["retry-after"]) > 0
    # Paused means paused: the right password is refused too until the lock ends.
    right = await discovery.post(
        f"{PEOPLE}/sessions", json={"email": ada.email, "password": PASSWORD}
    )
    assert right.status_code == 429
    # Sessions opened before still work: the lock stops guessing, not the person.
    assert (await discovery.get(f"{PEOPLE}/me", headers=ada.headers)).status_code == 200


async def test_sign_in_attempts_per_address_are_rate_limited(discovery: httpx.AsyncClient) -> None:
    address = "nobody-at-all@example.com"
    answers = [
        (await discovery.post(f"{PEOPLE}/sessions", json={"email": address, "password": "x"}))
        for _ in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429
    assert answers[10].json()["error"]["code"] == "rate_limited"
    assert "retry-after" in answers[10].headers


async def test_deleting_an_account_removes_the_person_and_leaves_one_audit_row(
    discovery: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    ada = await sign_up(discovery, "Ada")
    wrong = await discovery.request(
        "DELETE", f"{PEOPLE}/me", json={"password": "not it"}, headers=ada.headers
    )
    # The session is good, the password not: 403 naming it (a 401 would read as signed out).
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_password")
    assert wrong.json()["error"]["fields"][0]["path"] == "password"
    gone = await discovery.request(
        "DELETE", f"{PEOPLE}/me", json={"password": PASSWORD}, headers=ada.headers
    )
    assert gone.status_code == 204
    assert (await discovery.get(f"{PEOPLE}/me", headers=ada.headers)).status_code == 401
    assert await db.fetchval("SELECT count(*) FROM people WHERE id = $1", ada.id) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM person_sessions WHERE person_id = $1", ada.id) == 0
    )
    audit = await db.fetch(
        "SELECT action, jsonb_typeof(detail) AS shape, detail ? 'removed' AS counted"
        " FROM people_audit WHERE person_id = $1",
        ada.id,
    )
    assert [tuple(row) for row in audit] == [("account_deleted", "object", True)]
    again = await discovery.post(
        f"{PEOPLE}/sessions", json={"email": ada.email, "password": PASSWORD}
    )
    assert again.status_code == 401


async def test_the_api_base_path_lists_what_is_served_under_it(
    discovery: httpx.AsyncClient,
) -> None:
    listed = await listed_routes(discovery, PEOPLE, "docs/planning.md")
    endpoints = [endpoint for endpoint, _ in listed]
    assert {"method": "POST", "path": f"{PEOPLE}/people"} in endpoints
    assert {"method": "GET", "path": f"{PEOPLE}/events/{{eventId}}/friends"} in endpoints
    assert all(e["method"] != "HEAD" and e["path"].startswith(PEOPLE) for e in endpoints)
    # Every listed path without parameters is served with its method; with no session and no
    # body it is refused with the error envelope (401, 415, 422), not a 404 or 405.
    for endpoint, answer in listed:
        if answer is not None:
            assert answer.status_code not in (404, 405), (endpoint, answer.text)
            assert 400 <= answer.status_code < 500, (endpoint, answer.text)
            assert answer.json()["error"]["code"]
