"""Showing a new secret once, on a page a reload does not repeat.

A form that makes a secret (a key, an integration, a rotation) answers with a redirect, so
reloading the next page never posts the form again (which would make a second key). The
secret crosses that redirect in a cookie only this browser holds (HttpOnly, SameSite=Strict,
Secure over TLS, two minutes, sent only to /developers/reveal), and the page that shows it
deletes the cookie in the same answer: a reload finds nothing to show.
"""

from __future__ import annotations

import uuid

from starlette.responses import RedirectResponse, Response

from services.gateway.context import GatewayRequest
from services.gateway.portal.visits import PORTAL
from shared.runtime.browser_security import clear_secret_cookie, set_secret_cookie

REVEAL_COOKIE = "pinned_portal_reveal"
REVEAL_PATH = f"{PORTAL}/reveal"
_SECONDS = 120


def reveal(request: GatewayRequest, kind: str, thing_id: uuid.UUID, secret: str) -> Response:
    """Redirect to the page that shows `secret` once (`kind`: keys or integrations)."""
    response = RedirectResponse(f"{REVEAL_PATH}/{kind}/{thing_id}", status_code=303)
    set_secret_cookie(request, response, REVEAL_COOKIE, f"{kind}:{thing_id}:{secret}",
                      max_age=_SECONDS, path=REVEAL_PATH, samesite="strict")  # fmt: skip
    return response


def take(request: GatewayRequest, kind: str, thing_id: uuid.UUID) -> str | None:
    """The secret waiting for this page, if any (the page must then `forget` it)."""
    held = request.cookies.get(REVEAL_COOKIE, "")
    held_kind, _, rest = held.partition(":")
    held_id, _, secret = rest.partition(":")
    return secret if held_kind == kind and held_id == str(thing_id) and secret else None


def forget(response: Response) -> Response:
    clear_secret_cookie(response, REVEAL_COOKIE, path=REVEAL_PATH)
    return response
