"""Who is asking: a person's session from a bearer token (apps, the JSON API) or from the
HttpOnly cookie (the web pages, whose forms also carry a CSRF token).

The two never mix: the JSON API takes no cookie, so no other site can make a browser call it
with the person's authority; the pages take no bearer token. Integration owners (the
developer portal) have their own sessions and cookie; this one is `pinned_people_session`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from services.discovery.people.store import Session
from services.discovery.web.context import context
from services.discovery.web.errors import Forbidden, Unauthenticated
from shared.domain.tokens import SESSION_PREFIX, csrf_token, same_secret, well_formed
from shared.runtime.browser_security import clear_secret_cookie, set_secret_cookie

SESSION_COOKIE = "pinned_people_session"
CSRF_FIELD = "csrf"


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def api_session(request: Request) -> Session:
    """The session of a JSON API request (bearer token); 401 for anything else."""
    token = bearer_token(request)
    session = await _lookup(request, token)
    if session is None:
        raise Unauthenticated()
    return session


async def page_session(request: Request) -> tuple[Session, str] | None:
    """The session of a page request (cookie) and its CSRF token, or None when signed out."""
    token = request.cookies.get(SESSION_COOKIE)
    session = await _lookup(request, token)
    return (session, csrf_token(token)) if session is not None and token else None


async def form_session(request: Request, form_csrf: str | None) -> Session:
    """The session of a page's form post: signed in, and the form's CSRF token matches."""
    found = await page_session(request)
    if found is None:
        raise Unauthenticated("Sign in first.")
    session, expected = found
    if not form_csrf or not same_secret(form_csrf, expected):
        raise Forbidden("This form has expired or did not come from this site; reload the page.")
    return session


async def _lookup(request: Request, token: str | None) -> Session | None:
    if not token or not well_formed(token, SESSION_PREFIX):
        return None
    return await context(request).people.session(token)


def set_session_cookie(request: Request, response: Response, token: str, days: int) -> None:
    set_secret_cookie(request, response, SESSION_COOKIE, token, max_age=days * 86_400)


def clear_session_cookie(response: Response) -> None:
    clear_secret_cookie(response, SESSION_COOKIE)
