"""The people API (`/api/people/v1`): accounts and sessions. Bearer session tokens only;
the web pages use the cookie (people_pages.py)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.discovery.people.accounts import IssuedSession
from services.discovery.people.auth import api_session
from services.discovery.people.deletion import delete_account
from services.discovery.web.bodies import AccountDeletion, ProfileChange, SignIn, SignUp, read_body
from services.discovery.web.context import client_ip, context, request_id
from services.discovery.web.errors import NotFound

PEOPLE_API = "/api/people/v1"


def session_view(issued: IssuedSession) -> dict[str, object]:
    return {
        "person": issued.person.view(),
        "session": {
            "id": issued.session_id,
            "token": issued.token,
            "expiresAt": issued.expires_at.isoformat(),
        },
    }


async def sign_up(request: Request) -> Response:
    """201 with the person and a session token (shown once); 409 `email_taken`."""
    body = await read_body(request, SignUp)
    issued = await context(request).accounts.sign_up(
        body, client_ip(request), request.headers.get("user-agent"), request_id(request)
    )
    return JSONResponse(session_view(issued), status_code=201)


async def sign_in(request: Request) -> Response:
    """201 with a new session token; 401 for a wrong e-mail or password (the same answer),
    429 when rate limited or the account is paused after wrong passwords."""
    body = await read_body(request, SignIn)
    issued = await context(request).accounts.sign_in(
        body, client_ip(request), request.headers.get("user-agent"), request_id(request)
    )
    return JSONResponse(session_view(issued), status_code=201)


async def sign_out(request: Request) -> Response:
    session = await api_session(request)
    await context(request).people.revoke(session.person.id, session.id)
    return Response(status_code=204)


async def me(request: Request) -> Response:
    session = await api_session(request)
    return JSONResponse(session.person.view())


async def change_me(request: Request) -> Response:
    session = await api_session(request)
    body = await read_body(request, ProfileChange)
    person = await context(request).people.update(
        session.person.id, body.displayName, body.sharePlans
    )
    return JSONResponse(person.view())


async def delete_me(request: Request) -> Response:
    """Needs the password again: a stolen session alone cannot delete an account."""
    session = await api_session(request)
    body = await read_body(request, AccountDeletion)
    ctx = context(request)
    await ctx.accounts.confirm_password(session.person, body.password, client_ip(request))
    async with ctx.primary.acquire() as conn, conn.transaction():
        await delete_account(conn, session.person.id, request_id(request))
    return Response(status_code=204)


async def sessions(request: Request) -> Response:
    session = await api_session(request)
    rows = await context(request).people.sessions(session.person.id)
    return JSONResponse(
        {
            "docs": [
                {
                    "id": str(row["id"]),
                    "current": row["id"] == session.id,
                    "createdAt": row["created_at"].isoformat(),
                    "expiresAt": row["expires_at"].isoformat(),
                    "lastSeenAt": row["last_seen_at"].isoformat(),
                    "userAgent": row["user_agent"],
                }
                for row in rows
            ]
        }
    )


async def revoke_session(request: Request) -> Response:
    """Revoke one of your sessions; it stops at once (every request checks)."""
    session = await api_session(request)
    ctx = context(request)
    session_id: uuid.UUID = request.path_params["sessionId"]
    if not await ctx.people.revoke(session.person.id, session_id):
        raise NotFound("No active session of yours has that id.")
    await ctx.people.audit(session.person.id, "session_revoked", request_id(request))
    return Response(status_code=204)


async def revoke_all_sessions(request: Request) -> Response:
    """Sign out everywhere, this session included."""
    session = await api_session(request)
    ctx = context(request)
    await ctx.people.revoke(session.person.id, None)
    await ctx.people.audit(session.person.id, "sessions_revoked", request_id(request))
    return Response(status_code=204)
