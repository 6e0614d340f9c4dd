"""The personal calendar feed and its secret URL, and an event's public attendance counts.

`GET /api/people/v1/me/calendar.ics?token=ppc_...` is what a calendar app subscribes to:
the token is the only credential (calendar apps send no headers), stored as a hash and
checked on every request, so rotating or revoking the URL stops the old one at once. With a
bearer session the same route answers without a token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.discovery.feeds.service import none_match, strong_etag
from services.discovery.people.auth import api_session
from services.discovery.people.store import PERSON_COLUMNS, Person, person_of
from services.discovery.planning.calendar import calendar_rows, personal_calendar
from services.discovery.planning.rsvp import unknown_event
from services.discovery.web.context import base_url, context, request_id
from services.discovery.web.errors import Unauthenticated
from services.discovery.web.event_refs import event_ref
from services.discovery.web.plan_views import public_attendance
from shared.domain.tokens import CALENDAR_PREFIX, new_token, token_hash, well_formed

CALENDAR_PATH = "/api/people/v1/me/calendar.ics"

_BY_TOKEN = f"SELECT {PERSON_COLUMNS} FROM people p WHERE p.calendar_token_hash = $1"  # noqa: S608


async def issue_calendar_url(request: Request, person_id: int) -> str:
    """A new secret URL for the person (shown once); the previous one stops working."""
    ctx = context(request)
    token, hashed = new_token(CALENDAR_PREFIX)
    await ctx.primary.execute(
        "UPDATE people SET calendar_token_hash = $2 WHERE id = $1", person_id, hashed
    )
    await ctx.people.audit(person_id, "calendar_url_issued", request_id(request))
    return f"{base_url(request)}{CALENDAR_PATH}?token={token}"


async def new_calendar_url(request: Request) -> Response:
    session = await api_session(request)
    return JSONResponse({"url": await issue_calendar_url(request, session.person.id)}, 201)


async def revoke_calendar_url(request: Request) -> Response:
    session = await api_session(request)
    ctx = context(request)
    await ctx.primary.execute(
        "UPDATE people SET calendar_token_hash = NULL WHERE id = $1", session.person.id
    )
    await ctx.people.audit(session.person.id, "calendar_url_revoked", request_id(request))
    return Response(status_code=204)


async def my_calendar(request: Request) -> Response:
    ctx = context(request)
    token = request.query_params.get("token")
    person = await _by_token(request, token) if token else (await api_session(request)).person
    rows = await calendar_rows(ctx.primary, person.id)
    body = personal_calendar(person, rows, base_url(request))
    etag = strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


async def _by_token(request: Request, token: str) -> Person:
    row = None
    if well_formed(token, CALENDAR_PREFIX):
        row = await context(request).primary.fetchrow(_BY_TOKEN, token_hash(token))
    if row is None:
        raise Unauthenticated(
            "This calendar URL is not valid (revoked or replaced); get the "
            "current one from your account."
        )
    return person_of(row)


async def attendance(request: Request) -> Response:
    """How many are going, interested and waitlisted, and the places left: public, never
    who they are."""
    ref = event_ref(request)
    pool = context(request).pool
    counts = await public_attendance(pool, ref.key)
    if counts is None:
        raise await unknown_event(pool, ref.key)
    return JSONResponse({"eventId": ref.public, **counts})
