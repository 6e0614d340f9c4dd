"""Pure ASGI middleware at the public edge: request id, the per-IP quota, one log line and
the HTTP metrics per request."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.discovery.web.errors import RateLimited, error_response
from shared.adapters.rate_limits import Limit
from shared.core.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

log = structlog.get_logger("discovery.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_UNCOUNTED = ("/healthz", "/readyz", "/metrics", "/static/")


class PublicEdge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id = _request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id.encode()))
                for name, value in state.get("rate_limit_headers", {}).items():
                    headers.append((name.lower().encode(), value.encode()))
            await send(message)

        try:
            refusal = await self._over_quota(scope, receive)
            if refusal is not None:
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


def _observe(scope: Scope, state: dict[str, object], status: int, duration: float) -> None:
    route = getattr(scope.get("route"), "path", None)
    template = route if isinstance(route, str) else "unmatched"
    status_class = f"{status // 100}xx"
    HTTP_REQUESTS.labels(template, scope["method"], status_class).inc()
    HTTP_REQUEST_DURATION.labels(template, scope["method"], status_class).observe(duration)
    log.info(
        "request",
        method=scope["method"],
        route=template,
        status=status,
        duration_seconds=round(duration, 6),
        error_code=state.get("error_code"),
    )


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode(errors="replace")
            if _REQUEST_ID.match(candidate):
                return candidate
    return f"req_{uuid.uuid4().hex}"
