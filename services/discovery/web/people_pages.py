"""The people pages: sign up, sign in, the account page (plans, reminders, sharing, the
calendar URL, deleting the account), the inbox, and the forms event, city and channel pages
post (save, RSVP, follow). No script runs: plain forms, each answered with a redirect.

The session lives in an HttpOnly, SameSite=Lax cookie; every form of a signed-in person
carries a CSRF token derived from the session, and the sign-in and sign-up forms, before
any session exists, a double-submit token, so another site can post none of them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.discovery.people.auth import (
    CSRF_FIELD,
    clear_session_cookie,
    form_session,
    page_session,
    set_session_cookie,
)
from services.discovery.people.store import Session
from services.discovery.planning import feed, friends, inbox, lists, rsvp
from services.discovery.web.bodies import SignIn, SignUp, validate
from services.discovery.web.calendar_routes import issue_calendar_url
from services.discovery.web.context import base_url, client_ip, context, request_id
from services.discovery.web.errors import Forbidden, InvalidBody, PublicError
from services.discovery.web.event_refs import event_ref, register_event_convertor
from shared.domain.attendance import ANSWERS, PLANNING
from shared.domain.tokens import new_form_token, same_secret
from shared.runtime.browser_security import safe_next, set_secret_cookie

LOGIN_CSRF_COOKIE = "pinned_people_csrf"


def routes() -> list[BaseRoute]:
    register_event_convertor()
    return [
        Route("/signup", signup_page, methods=["GET"]),
        Route("/signup", signup, methods=["POST"]),
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/me", account, methods=["GET"]),
        Route("/me/inbox", inbox_page, methods=["GET"]),
        Route("/me/inbox/read", read_notices, methods=["POST"]),
        Route("/me/calendar-url", calendar_url, methods=["POST"]),
        Route("/me/sharing", sharing, methods=["POST"]),
        Route("/me/friend-requests/{requestId:uuid}/accept", accept_friend, methods=["POST"]),
        Route("/me/friend-requests/{requestId:uuid}/decline", decline_friend, methods=["POST"]),
        Route("/events/{eventId:event}/save", save_form, methods=["POST"]),
        Route("/events/{eventId:event}/rsvp", rsvp_form, methods=["POST"]),
        Route("/follows", follow_form, methods=["POST"]),
    ]


async def viewer(request: Request) -> dict[str, Any] | None:
    """The signed-in person as pages show them (with the forms' CSRF token), or None."""
    found = await page_session(request)
    if found is None:
        return None
    session, csrf = found
    unread = await inbox.unread_count(context(request).primary, session.person.id)
    return {"person": session.person, "csrf": csrf, "unread": unread}


def _safe_next(raw: str | None) -> str:
    return safe_next(raw, "/me")


def _login_form(
    request: Request,
    page: str,
    error: str | None = None,
    status: int = 200,
    form: FormData | None = None,
) -> Response:
    """The sign-in or sign-up page; after a refused `form`, with what was typed (never the
    password) and where it was going."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_form_token()
    given = form.get("next") if form is not None else request.query_params.get("next")
    nxt = _safe_next(str(given) if given else None)
    typed = {name: str(form.get(name) or "") for name in ("email", "displayName")} if form else {}
    response = context(request).pages.render(
        page, {"csrf": token, "next": nxt, "error": error, "typed": typed}, status=status
    )
    set_secret_cookie(request, response, LOGIN_CSRF_COOKIE, token, samesite="strict")
    return response


async def _login_post(request: Request) -> FormData:
    form = await request.form()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    given = str(form.get(CSRF_FIELD) or "")
    if not expected or not same_secret(given, expected):
        raise Forbidden("This form has expired; reload the page and try again.")
    return form


async def signup_page(request: Request) -> Response:
    return _login_form(request, "signup.html")


async def signin_page(request: Request) -> Response:
    return _login_form(request, "signin.html")


async def signup(request: Request) -> Response:
    form = await _login_post(request)
    try:
        body = validate(SignUp, {k: form.get(k) for k in ("email", "password", "displayName")})
        issued = await context(request).accounts.sign_up(
            body, client_ip(request), request.headers.get("user-agent"), request_id(request)
        )
    except PublicError as exc:
        return _login_form(request, "signup.html", _problem(exc), exc.status, form)
    return _signed_in(request, issued.token, _safe_next(str(form.get("next") or "")))


async def signin(request: Request) -> Response:
    form = await _login_post(request)
    try:
        body = validate(SignIn, {k: form.get(k) for k in ("email", "password")})
        issued = await context(request).accounts.sign_in(
            body, client_ip(request), request.headers.get("user-agent"), request_id(request)
        )
    except PublicError as exc:
        return _login_form(request, "signin.html", _problem(exc), exc.status, form)
    return _signed_in(request, issued.token, _safe_next(str(form.get("next") or "")))


def _problem(exc: PublicError) -> str:
    if exc.fields:
        return "Check " + ", ".join(f"{f['path']}: {f['message']}" for f in exc.fields)
    return exc.message


def _signed_in(request: Request, token: str, nxt: str) -> Response:
    response = RedirectResponse(nxt, status_code=303)
    set_session_cookie(request, response, token, context(request).settings.people.session_days)
    return response


async def _posted(request: Request) -> tuple[Session, FormData]:
    form = await request.form()
    session = await form_session(request, str(form.get(CSRF_FIELD) or ""))
    return session, form


async def signout(request: Request) -> Response:
    session, _ = await _posted(request)
    await context(request).people.revoke(session.person.id, session.id)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


async def account(request: Request, issued_calendar_url: str | None = None) -> Response:
    me = await viewer(request)
    if me is None:
        return RedirectResponse("/signin?next=" + quote("/me"), status_code=303)
    ctx = context(request)
    person = me["person"]
    base = base_url(request)
    answered = await lists.answered(ctx.primary, person.id, None, 100, base)
    saved = await lists.saved(ctx.primary, person.id, None, 100, base)
    return ctx.pages.render(
        "account.html",
        {
            "viewer": me,
            "planned": [e for e in _events(answered) if e["rsvp"] in PLANNING],
            "saved": _events(saved),
            "follows": await feed.follows(ctx.primary, person.id),
            "friends": await friends.friends(ctx.primary, person.id),
            "requests": await friends.incoming(ctx.primary, person.id),
            "calendar_url": issued_calendar_url,
        },
    )


def _events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**json.loads(row["public"]), "rsvp": row.get("rsvp")} for row in rows]


async def calendar_url(request: Request) -> Response:
    """Shows the new secret URL once, on the account page itself (no redirect: it is not
    stored anywhere it could be shown again)."""
    session, _ = await _posted(request)
    url = await issue_calendar_url(request, session.person.id)
    return await account(request, issued_calendar_url=url)


async def sharing(request: Request) -> Response:
    session, form = await _posted(request)
    share = str(form.get("share")) == "on"
    await context(request).people.update(session.person.id, None, share)
    return RedirectResponse("/me", status_code=303)


async def accept_friend(request: Request) -> Response:
    session, _ = await _posted(request)
    request_id: uuid.UUID = request.path_params["requestId"]
    person = session.person
    async with context(request).primary.acquire() as conn, conn.transaction():
        await friends.accept(conn, person.id, person.display_name, request_id)
    return RedirectResponse("/me", status_code=303)


async def decline_friend(request: Request) -> Response:
    """The request goes, and its sender is not told (as the API's DELETE)."""
    session, _ = await _posted(request)
    request_id: uuid.UUID = request.path_params["requestId"]
    async with context(request).primary.acquire() as conn:
        await friends.decline(conn, session.person.id, request_id)
    return RedirectResponse("/me", status_code=303)


async def inbox_page(request: Request) -> Response:
    me = await viewer(request)
    if me is None:
        return RedirectResponse("/signin?next=" + quote("/me/inbox"), status_code=303)
    rows = await inbox.page(context(request).primary, me["person"].id, False, None, 100)
    notices = [inbox.notice_view(row) for row in rows[:100]]
    return context(request).pages.render("inbox.html", {"viewer": me, "notices": notices})


async def read_notices(request: Request) -> Response:
    session, _ = await _posted(request)
    await inbox.mark_all(context(request).primary, session.person.id)
    return RedirectResponse("/me/inbox", status_code=303)


async def save_form(request: Request) -> Response:
    session, form = await _posted(request)
    ref = event_ref(request)
    async with context(request).primary.acquire() as conn, conn.transaction():
        if str(form.get("saved")) == "false":
            await rsvp.unsave(conn, session.person.id, ref.key)
        else:
            await rsvp.save(conn, session.person.id, ref.key)
    return RedirectResponse(f"/events/{ref.public}", status_code=303)


async def rsvp_form(request: Request) -> Response:
    session, form = await _posted(request)
    ref = event_ref(request)
    status = str(form.get("status") or "")
    answer = next((a for a in ANSWERS if a == status), None)
    if answer is None:  # the page sends one of them; anything else must not drop a place
        choices = ", ".join(ANSWERS)
        problem = {"path": "status", "code": "invalid", "message": f"must be one of {choices}"}
        raise InvalidBody([problem])
    async with context(request).primary.acquire() as conn, conn.transaction():
        await rsvp.respond(conn, session.person.id, ref.key, answer)
    return RedirectResponse(f"/events/{ref.public}", status_code=303)


async def follow_form(request: Request) -> Response:
    session, form = await _posted(request)
    kind, target = str(form.get("kind") or ""), str(form.get("target") or "")
    back = _safe_next(str(form.get("next") or ""))
    if kind not in ("channel", "city", "classification"):
        raise Forbidden("Follow a channel, a city or a classification.")
    pool = context(request).primary
    if str(form.get("follow")) == "false":
        await feed.unfollow(pool, session.person.id, kind, target)
    else:
        await feed.follow(pool, session.person.id, kind, target)
    return RedirectResponse(back, status_code=303)
