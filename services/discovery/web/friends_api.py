"""The people API's friends routes: requests, accepts, the friends list, and which friends
(who share) are going to an event. Every route acts on the signed-in person's own side."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.discovery.people.auth import api_session
from services.discovery.planning import friends
from services.discovery.planning.rsvp import unknown_event
from services.discovery.web.bodies import FriendRequest, read_body
from services.discovery.web.context import context
from services.discovery.web.errors import NotFound
from services.discovery.web.plan_views import public_attendance
from services.discovery.web.plans_api import event_id_of, in_transaction
from shared.domain.passwords import email_key


async def my_friends(request: Request) -> Response:
    session = await api_session(request)
    return JSONResponse(
        {"docs": await friends.friends(context(request).primary, session.person.id)}
    )


async def remove_friend(request: Request) -> Response:
    session = await api_session(request)
    friend_id: int = request.path_params["personId"]
    removed = await in_transaction(
        request, lambda conn: friends.unfriend(conn, session.person.id, friend_id)
    )
    if not removed:
        raise NotFound("That person is not your friend.")
    return Response(status_code=204)


async def friend_requests(request: Request) -> Response:
    """Requests sent to me (the ones I sent show once accepted, as friends)."""
    session = await api_session(request)
    pool = context(request).primary
    return JSONResponse({"docs": await friends.incoming(pool, session.person.id)})


async def ask_friend(request: Request) -> Response:
    """202 whether or not the address has an account: nobody learns who has one."""
    session = await api_session(request)
    body = await read_body(request, FriendRequest)
    person = session.person
    await in_transaction(
        request,
        lambda conn: friends.ask(conn, person.id, person.display_name, email_key(body.email)),
    )
    return JSONResponse(
        {"message": "If that address has an account, they got your request."}, status_code=202
    )


async def accept_friend(request: Request) -> Response:
    session = await api_session(request)
    request_id: uuid.UUID = request.path_params["requestId"]
    person = session.person
    await in_transaction(
        request, lambda conn: friends.accept(conn, person.id, person.display_name, request_id)
    )
    return JSONResponse({"accepted": True})


async def decline_friend(request: Request) -> Response:
    session = await api_session(request)
    request_id: uuid.UUID = request.path_params["requestId"]
    if not await in_transaction(
        request, lambda conn: friends.decline(conn, session.person.id, request_id)
    ):
        raise NotFound("No friend request with that id was sent to you.")
    return Response(status_code=204)


async def friends_at_event(request: Request) -> Response:
    """My friends going or interested, those who share; nothing unless I share too. 404 for
    an event nobody may see (a draft, a private channel's), as its page answers."""
    session = await api_session(request)
    pool, key = context(request).primary, event_id_of(request)
    if await public_attendance(pool, key) is None:
        raise await unknown_event(pool, key)
    if not session.person.share_plans:
        return JSONResponse(
            {
                "docs": [],
                "youShare": False,
                "message": "Share your plans with friends (PATCH /me sharePlans) to see theirs.",
            }
        )
    docs = await friends.at_event(pool, session.person.id, key)
    return JSONResponse({"docs": docs, "youShare": True})
