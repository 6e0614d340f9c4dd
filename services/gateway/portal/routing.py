"""The portal's routes, one row per page: method, path, handler and who may open it. The
router built from the rows signs the visitor in from the cookie, sends them where they must go
first (sign-in, account setup), checks every form's CSRF token, and turns refusals into pages.

Nothing here runs for /api or /webhooks: these are plain routes of their own, with no
middleware of the portal's on anyone else's path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import structlog
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from services.gateway import errors
from services.gateway.access.quotas import KEY_MANAGEMENT, PORTAL_PREVIEWS
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.errors import status_of
from services.gateway.portal.render import STATIC, Pages, with_portal_headers
from services.gateway.portal.visits import CSRF_FIELD, PORTAL, Visit, csrf_matches, viewer_of
from shared.adapters import accounts, channels, integrations, key_store
from shared.adapters.failures import DEPENDENCY_DOWN
from shared.core.numerals import ascii_digits

log = structlog.get_logger(__name__)

Access = Literal["anyone", "signed_in", "owner", "operator"]
Endpoint = Callable[[Visit], Awaitable[Response]]

_NOT_FOUND = (
    key_store.KeyNotFound,
    integrations.IntegrationNotFound,
    channels.ChannelNotFound,
    accounts.AccountNotFound,
)
_CONFLICT = (key_store.KeyStateConflict, channels.SlugTaken, accounts.AccountConflict)


@dataclass(frozen=True)
class Page:
    """A portal route. `access`: anyone; any signed-in user; an account's owner (with the
    account set up); or an operator."""

    method: str
    path: str
    endpoint: Endpoint
    access: Access = "owner"
    # What an owner's POST counts as: a change (the account's key-management quota, with its
    # owner keys' requests) or a preview, which changes nothing (a quota of its own).
    counts_as: Literal["change", "preview"] = "change"


class Redirect(Exception):
    """Answer with 303 See Other to `location` (a path on this site)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass
class PageProblem(Exception):
    """Answer with the error page."""

    status: int
    title: str
    message: str
    code: str = field(default="portal_refused")


def portal_routes(rows: Sequence[Page]) -> list[BaseRoute]:
    pages = Pages()
    by_path: dict[str, dict[str, Page]] = {}
    for row in rows:
        by_path.setdefault(row.path, {})[row.method] = row
    routes: list[BaseRoute] = [
        Route(path, _dispatch(methods, pages), methods=list(methods))
        for path, methods in by_path.items()
    ]
    routes.append(Mount(f"{PORTAL}/static", StaticFiles(directory=STATIC), name="portal-static"))
    routes.append(Route(f"{PORTAL}/{{rest:path}}", _no_such_page(pages), methods=["GET"]))
    return routes


def _no_such_page(pages: Pages) -> Handler:
    """A mistyped or outdated portal address is a page people can read, not the API's JSON."""

    async def endpoint(request: GatewayRequest) -> Response:
        if not request.path_params["rest"]:  # `/developers/`, as a router would redirect it
            return RedirectResponse(PORTAL, status_code=307)
        problem = PageProblem(404, "No such page", "The portal has no page at this address.",
                              "not_found")  # fmt: skip
        return with_portal_headers(_problem_page(request, pages, problem))

    return endpoint


Handler = Callable[[GatewayRequest], Awaitable[Response]]


def _dispatch(methods: dict[str, Page], pages: Pages) -> Handler:
    async def endpoint(request: GatewayRequest) -> Response:
        row = methods["GET" if request.method == "HEAD" else request.method]
        try:
            response = await _visit(row, request, pages)
        except Redirect as redirect:
            response = RedirectResponse(redirect.location, status_code=303)
        except Exception as exc:  # refusals become pages people read, not the API's JSON
            response = _problem_page(request, pages, _problem(exc))
        return with_portal_headers(response)

    return endpoint


def _problem(exc: Exception) -> PageProblem:
    if isinstance(exc, PageProblem):
        return exc
    if isinstance(exc, errors.GatewayError):
        return PageProblem(status_of(exc), "That did not work", exc.message, exc.code)
    if isinstance(exc, _NOT_FOUND):
        message = "Nothing with that id belongs to this account."
        return PageProblem(404, "Not found", message, "not_found")
    if isinstance(exc, _CONFLICT):
        return PageProblem(409, "That did not work", str(exc.args[0]), "conflict")
    if isinstance(exc, DEPENDENCY_DOWN):
        log.warning("dependency unreachable", error=repr(exc))
        message = "The portal cannot reach its database; nothing was changed. Try again shortly."
        return PageProblem(503, "Temporarily unavailable", message, "service_unavailable")
    log.error("unhandled error", exc_info=exc)
    return PageProblem(
        500,
        "Something went wrong on our side",
        "Try again in a moment; quote the request id below if it persists.",
        "internal_error",
    )


async def _visit(row: Page, request: GatewayRequest, pages: Pages) -> Response:
    gateway = request.state["gateway"]
    viewer = await viewer_of(request, gateway)
    if row.access != "anyone":
        if viewer is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise Redirect(f"{PORTAL}/signin?next={quote(target)}")
        if row.access == "owner" and viewer.session.account_id is None:
            raise Redirect(f"{PORTAL}/operations/dead-letters")
        if row.access == "owner" and not viewer.session.account_set_up:
            raise Redirect(f"{PORTAL}/setup")
        if row.access == "operator" and not viewer.operator:
            raise PageProblem(403, "Operators only", "This page is for the platform's operators.")
    form = None
    if request.method == "POST":
        _within_size(request, gateway.settings.max_body_bytes)
        if row.access == "owner" and viewer is not None:
            await _within_quota(gateway, viewer.account_id, row.counts_as)
        form = await request.form()
        given = form.get(CSRF_FIELD)
        if row.access != "anyone" and (
            viewer is None or not csrf_matches(viewer, given if isinstance(given, str) else "")
        ):
            raise forged_form()
    return await row.endpoint(Visit(request, gateway, viewer, pages, form))


def forged_form() -> PageProblem:
    return PageProblem(
        403,
        "This form cannot be accepted",
        "It has expired or did not come from this site: reload the page and try again.",
        "csrf_failed",
    )


_QUOTAS = {"change": (KEY_MANAGEMENT, "changes"), "preview": (PORTAL_PREVIEWS, "previews")}


async def _within_quota(gateway: Gateway, account_id: int, counts_as: str) -> None:
    """An owner's changes count in the account's key-management quota, as its owner keys'
    developer API requests do; previews in a quota of their own."""
    limits = gateway.settings.rate_limits
    if not limits.enabled:
        return
    quota, what = _QUOTAS[counts_as]
    verdict = await gateway.limiter.check([quota.for_owner(account_id, limits)])
    if not verdict.allowed:
        raise PageProblem(429, "Slow down", f"Too many {what} a minute for this account; "
                          "wait a little and try again.", "rate_limited")  # fmt: skip


def _within_size(request: GatewayRequest, max_bytes: int) -> None:
    declared = request.headers.get("content-length", "")
    if ascii_digits(declared) and int(declared) > max_bytes:
        raise PageProblem(413, "Too large", f"A form may carry at most {max_bytes} bytes.")


def _problem_page(request: GatewayRequest, pages: Pages, problem: PageProblem) -> Response:
    exchange = request.state["exchange"]
    exchange.error_code = problem.code
    context = {
        "status": problem.status,
        "title": problem.title,
        "message": problem.message,
        "request_id": exchange.request_id,
        "viewer": None,
    }
    return pages.render("error.html", context, status=problem.status)
