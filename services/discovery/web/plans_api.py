"""The people API's planning routes: follows and the feed, saves, RSVPs, reminders, the
inbox, the calendar URL and friends. Every route acts on the signed-in person's own data:
no route takes another person's id to read, so nobody can read anyone else's plans (BOLA)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.discovery.people.auth import api_session
from services.discovery.planning import cursors, feed, inbox, lists, reminders, rsvp
from services.discovery.web.bodies import (
    EventReminders,
    FollowKind,
    ReadState,
    ReminderDefaults,
    Rsvp,
    read_body,
)
from services.discovery.web.context import base_url, context
from services.discovery.web.errors import InvalidParameter, NotFound
from services.discovery.web.event_refs import event_ref

FOLLOW_KINDS: tuple[FollowKind, ...] = ("channel", "city", "classification")


def event_id_of(request: Request) -> uuid.UUID:
    """The stored key of the event or occurrence the path names."""
    return event_ref(request).key


async def in_transaction(
    request: Request, work: Callable[[asyncpg.Connection], Awaitable[Any]]
) -> Any:
    async with context(request).primary.acquire() as conn, conn.transaction():
        return await work(conn)


def _event_listing(rows: list[dict[str, Any]], limit: int, listing: str) -> Response:
    """Rows carry `public` (the event's JSON text, spliced in) and maybe `rsvp`."""
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = cursors.encode(listing, (rows[-1]["start_at"], rows[-1]["event_id"])) if more else None
    docs = ",".join(
        row["public"]
        if row.get("rsvp") is None
        else f'{{"rsvp":{json.dumps(row["rsvp"])},"event":{row["public"]}}}'
        for row in rows
    )
    tail = json.dumps({"limit": limit, "hasNextPage": more, "nextCursor": cursor})
    return Response(f'{{"docs":[{docs}],{tail[1:]}', media_type="application/json")


async def my_follows(request: Request) -> Response:
    session = await api_session(request)
    return JSONResponse({"docs": await feed.follows(context(request).primary, session.person.id)})


def _follow_target(request: Request) -> tuple[str, str]:
    kind = request.path_params["kind"]
    if kind not in FOLLOW_KINDS:
        raise NotFound("Follow a channel, a city or a classification.")
    return kind, request.path_params["target"]


async def follow(request: Request) -> Response:
    session = await api_session(request)
    kind, target = _follow_target(request)
    await feed.follow(context(request).primary, session.person.id, kind, target)
    return JSONResponse({"kind": kind, "target": target, "following": True})


async def unfollow(request: Request) -> Response:
    session = await api_session(request)
    kind, target = _follow_target(request)
    if not await feed.unfollow(context(request).primary, session.person.id, kind, target):
        raise NotFound(f"You do not follow that {kind}.")
    return Response(status_code=204)


async def my_feed(request: Request) -> Response:
    """Upcoming published events of what I follow, soonest first; `nextCursor` pages on."""
    session = await api_session(request)
    ctx = context(request)
    limit = cursors.page_limit(request.query_params.get("limit"))
    after = cursors.decode("feed", request.query_params.get("cursor"))
    what = await feed.followed(ctx.primary, session.person.id)
    rows = await feed.feed_page(ctx.pool, what, after, limit, base_url(request))
    return _event_listing(rows, limit, "feed")


async def my_saves(request: Request) -> Response:
    session = await api_session(request)
    limit = cursors.page_limit(request.query_params.get("limit"))
    after = cursors.decode("saves", request.query_params.get("cursor"))
    rows = await lists.saved(
        context(request).primary, session.person.id, after, limit, base_url(request)
    )
    return _event_listing(rows, limit, "saves")


async def save(request: Request) -> Response:
    session = await api_session(request)
    event_id = event_id_of(request)
    await in_transaction(request, lambda conn: rsvp.save(conn, session.person.id, event_id))
    return JSONResponse({"eventId": event_ref(request).public, "saved": True})


async def unsave(request: Request) -> Response:
    session = await api_session(request)
    event_id = event_id_of(request)
    if not await in_transaction(
        request, lambda conn: rsvp.unsave(conn, session.person.id, event_id)
    ):
        raise NotFound("You have not saved that event.")
    return Response(status_code=204)


async def my_rsvps(request: Request) -> Response:
    session = await api_session(request)
    limit = cursors.page_limit(request.query_params.get("limit"))
    after = cursors.decode("rsvps", request.query_params.get("cursor"))
    rows = await lists.answered(
        context(request).primary, session.person.id, after, limit, base_url(request)
    )
    return _event_listing(rows, limit, "rsvps")


async def answer(request: Request) -> Response:
    """`going` past the capacity answers `waitlisted` with the place in the line."""
    session = await api_session(request)
    body = await read_body(request, Rsvp)
    event_id = event_id_of(request)
    result = await in_transaction(
        request, lambda conn: rsvp.respond(conn, session.person.id, event_id, body.status)
    )
    return JSONResponse(result.view(event_ref(request).public))


async def withdraw(request: Request) -> Response:
    session = await api_session(request)
    event_id = event_id_of(request)
    result = await in_transaction(
        request, lambda conn: rsvp.respond(conn, session.person.id, event_id, None)
    )
    return JSONResponse(result.view(event_ref(request).public))


async def my_reminders(request: Request) -> Response:
    session = await api_session(request)
    person = session.person
    body = await reminders.settings(context(request).primary, person.id, person.reminder_minutes)
    return JSONResponse(body)


async def set_reminder_defaults(request: Request) -> Response:
    session = await api_session(request)
    body = await read_body(request, ReminderDefaults)
    await in_transaction(
        request, lambda conn: reminders.set_defaults(conn, session.person.id, body.minutesBefore)
    )
    return JSONResponse({"minutesBefore": body.minutesBefore})


async def set_event_reminders(request: Request) -> Response:
    session = await api_session(request)
    body = await read_body(request, EventReminders)
    event_id = event_id_of(request)
    await in_transaction(
        request,
        lambda conn: reminders.set_for_event(conn, session.person.id, event_id, body.minutesBefore),
    )
    public = event_ref(request).public
    return JSONResponse({"eventId": public, "minutesBefore": body.minutesBefore})


async def reset_event_reminders(request: Request) -> Response:
    session = await api_session(request)
    event_id = event_id_of(request)
    await in_transaction(
        request, lambda conn: reminders.set_for_event(conn, session.person.id, event_id, None)
    )
    return Response(status_code=204)


async def my_notifications(request: Request) -> Response:
    """Newest first; `unread=true` for unread ones only; `unreadCount` always."""
    session = await api_session(request)
    pool = context(request).primary
    limit = cursors.page_limit(request.query_params.get("limit"))
    after = cursors.decode("notifications", request.query_params.get("cursor"))
    unread = request.query_params.get("unread", "false").lower()
    if unread not in ("true", "false"):
        raise InvalidParameter("unread", "must be true or false")
    unread_only = unread == "true"
    rows = await inbox.page(pool, session.person.id, unread_only, after, limit)
    more = len(rows) > limit
    rows = rows[:limit]
    last = (rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return JSONResponse(
        {
            "docs": [inbox.notice_view(row) for row in rows],
            "unreadCount": await inbox.unread_count(pool, session.person.id),
            "limit": limit,
            "hasNextPage": more,
            "nextCursor": cursors.encode("notifications", last) if last else None,
        }
    )


async def mark_notification(request: Request) -> Response:
    session = await api_session(request)
    body = await read_body(request, ReadState)
    notice_id: uuid.UUID = request.path_params["notificationId"]
    row = await inbox.mark(context(request).primary, session.person.id, notice_id, body.read)
    if row is None:
        raise NotFound("No notification of yours has that id.")
    return JSONResponse(inbox.notice_view(row))


async def mark_all_read(request: Request) -> Response:
    session = await api_session(request)
    marked = await inbox.mark_all(context(request).primary, session.person.id)
    return JSONResponse({"marked": marked})
