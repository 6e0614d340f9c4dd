"""Pure ASGI middleware at the public edge: request id, the per-IP quota, a JSON route's
repeated query parameter refused, one log line and the HTTP metrics per request (a refusal
here is counted and logged under the route it was for)."""

from __future__ import annotations

import time

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.discovery.web.errors import InvalidParameter, NotFound, RateLimited, error_response
from shared.adapters.rate_limits import Limit
from shared.domain.field_errors import UNSTORABLE_CHARACTER, storable_text
from shared.runtime.http_edge import count_request, match_route, request_id, route_template
from shared.runtime.ops_http import request_log_level

log = structlog.get_logger("discovery.request")

_UNCOUNTED = ("/healthz", "/readyz", "/metrics", "/static/")
_JSON_APIS = "/api/"


class PublicEdge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        state["request_id"] = rid = request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=rid)
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", rid.encode()))
                for name, value in state.get("rate_limit_headers", {}).items():
                    headers.append((name.lower().encode(), value.encode()))
            await send(message)

        try:
            refusal = (
                await self._over_quota(scope, receive)
                or _unstorable(scope, receive)
                or _repeated(scope, receive)
            )
            if refusal is not None:
                match_route(scope)
                await refusal(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            _observe(scope, state, status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")

    async def _over_quota(self, scope: Scope, receive: Receive) -> ASGIApp | None:
        """The error response when this client's quota is used up, else None."""
        ctx = scope["app"].state.ctx
        settings = ctx.settings.rate_limits
        if not settings.enabled or scope["path"].startswith(_UNCOUNTED):
            return None
        client = scope.get("client")
        limit = Limit("discovery-ip", client[0] if client else "unknown", settings.per_ip)
        verdict = await ctx.limiter.check([limit])
        if verdict.allowed:
            scope["state"]["rate_limit_headers"] = verdict.headers
            return None
        request = Request(scope, receive)
        return error_response(request, RateLimited(verdict.headers))


def _repeated(scope: Scope, receive: Receive) -> ASGIApp | None:
    """The JSON APIs' error for a query parameter given twice (`placeId=a&placeId=b`), which
    would otherwise quietly be one of them; the HTML pages take the first."""
    if not scope["path"].startswith(_JSON_APIS):
        return None
    request = Request(scope, receive)
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            problem = "is given more than once; send it once"
            return error_response(request, InvalidParameter(name, problem))
        seen.add(name)
    return None


def _unstorable(scope: Scope, receive: Receive) -> ASGIApp | None:
    """The error for a path or query value with a NUL or a lone surrogate (`%00`, which
    PostgreSQL refuses in text: every search, slug and id lookup would be a 500): a 404 for
    the path, naming nothing published there, a 400 naming the parameter."""
    if UNSTORABLE_CHARACTER.search(scope["path"]):
        shown = storable_text(scope["path"])
        return error_response(
            Request(scope, receive), NotFound(f"Nothing is published at {shown}.")
        )
    if b"%00" not in scope["query_string"]:
        # The common case. Percent-encoded surrogates decode as U+FFFD, so only %00 can put
        # one in a query value.
        return None
    request = Request(scope, receive)
    for name, value in request.query_params.multi_items():
        if UNSTORABLE_CHARACTER.search(name) or UNSTORABLE_CHARACTER.search(value):
            problem = "contains a NUL character or invalid Unicode; remove it"
            return error_response(request, InvalidParameter(storable_text(name), problem))
    return None


def _observe(scope: Scope, state: dict[str, object], status: int, duration: float) -> None:
    template = route_template(scope)
    count_request(template, scope["method"], status, duration)
    log.log(
        request_log_level(scope["path"], status),
        "request",
        method=scope["method"],
        route=template,
        status=status,
        duration_seconds=round(duration, 6),
        error_code=state.get("error_code"),
    )
