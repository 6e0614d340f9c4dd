"""Who is visiting the portal, and what every page handler is given.

The session lives in an HttpOnly, SameSite=Lax cookie scoped to /developers (Secure when the
page came over TLS), so a browser never sends it to /api or /webhooks, and the guard of those
routes reads only `Authorization` anyway; the portal reads only its cookie and never a bearer
token, so an API key is never a portal session. Every form of a signed-in visitor carries a
CSRF token derived from the session secret (which no script can read); forms posted before
any session exists (sign-in, invitation) carry a double-submit or invitation-bound token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from services.gateway.adapters.portal import PortalSession
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.portal.render import Pages
from shared.domain.field_errors import storable_text
from shared.domain.tokens import PORTAL_SESSION_PREFIX, csrf_token, same_secret, well_formed
from shared.runtime.browser_security import clear_secret_cookie, set_secret_cookie

PORTAL = "/developers"
SESSION_COOKIE = "pinned_portal_session"
CSRF_FIELD = "csrf"
_CSRF_PURPOSE = b"pinned-portal-csrf"


@dataclass(frozen=True)
class Viewer:
    """A signed-in visitor, as pages show them."""

    session: PortalSession
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token, _CSRF_PURPOSE)

    @property
    def user(self) -> dict[str, Any]:
        return {"email": self.session.email, "display_name": self.session.display_name}

    @property
    def account(self) -> dict[str, Any] | None:
        if self.session.account_id is None:
            return None
        return {"id": self.session.account_id, "name": self.session.account_name}

    @property
    def operator(self) -> bool:
        return self.session.role == "operator"

    @property
    def account_id(self) -> int:
        """The account a page acts for (only owner pages call it: their rows say so)."""
        assert self.session.account_id is not None
        return self.session.account_id


@dataclass(frozen=True)
class Visit:
    """One portal request: the gateway's collaborators, the visitor (None when signed out)
    and, for a POST, its form once its CSRF token was checked."""

    request: GatewayRequest
    gateway: Gateway
    viewer: Viewer | None
    pages: Pages
    form: FormData | None = None

    @property
    def me(self) -> Viewer:
        """The visitor of a page only signed-in visitors reach (its row says so)."""
        assert self.viewer is not None
        return self.viewer

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    @property
    def request_id(self) -> str:
        return self.request.state["exchange"].request_id

    async def audit(self, action: str, **detail: object) -> None:
        """The signed-in visitor's change in the account's portal activity (the audit page),
        with its request id, address and `detail` (ids and names, never a secret)."""
        session = self.me.session
        await self.gateway.portal.audit(
            session.account_id,
            session.user_id,
            action,
            session.actor,
            self.request_id,
            self.client_ip,
            {name: storable_text(str(value)) for name, value in detail.items()},
        )


async def viewer_of(request: GatewayRequest, gateway: Gateway) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not well_formed(token, PORTAL_SESSION_PREFIX):
        return None
    session = await gateway.portal.session(token, gateway.settings.portal.session_idle_minutes)
    return Viewer(session, token) if session is not None else None


def csrf_matches(viewer: Viewer, given: str) -> bool:
    return bool(given) and same_secret(given, viewer.csrf)


def set_session_cookie(request: GatewayRequest, response: Response, token: str, hours: int) -> None:
    set_secret_cookie(request, response, SESSION_COOKIE, token, max_age=hours * 3600, path=PORTAL)


def clear_session_cookie(response: Response) -> None:
    clear_secret_cookie(response, SESSION_COOKIE, path=PORTAL)
