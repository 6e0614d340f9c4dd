"""Pure ASGI middleware: request id, one log line, metrics and one audit record per request."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.access.auth import Principal
from services.gateway.edge.errors import RequestTimeout
from shared.contracts.messages import AuditRecord
from shared.runtime import http_edge as edge

log = structlog.get_logger("gateway.request")

_UNAUDITED = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestObserver:
    def __init__(self, app: ASGIApp, body_timeout_seconds: float = 10.0) -> None:
        self.app = app
        self.body_timeout_seconds = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = edge.request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, _body_deadline(receive, self.body_timeout_seconds), send_with_id)
        finally:
            self._record(scope, state, status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")

    def _record(self, scope: Scope, state: dict[str, Any], status: int, duration: float) -> None:
        route = edge.route_template(scope)
        edge.count_request(route, scope["method"], status, duration)
        principal: Principal | None = state.get("principal")
        log.info(
            "request",
            method=scope["method"],
            route=route,
            status=status,
            duration_seconds=round(duration, 6),
            key_prefix=principal.key_prefix if principal else None,
            error_code=state.get("error_code"),
        )
        ctx = getattr(scope["app"].state, "ctx", None)
        if scope["path"] not in _UNAUDITED and ctx is not None:
            ctx.writer.write_audit(_audit_record(scope, state, route, status, duration))


def _audit_record(
    scope: Scope, state: dict[str, Any], route: str, status: int, duration: float
) -> AuditRecord:
    principal: Principal | None = state.get("principal")
    headers = dict(scope["headers"])
    client = scope.get("client")
    return AuditRecord(
        record_id=uuid.uuid4(),
        request_id=state["request_id"],
        occurred_at=datetime.now(UTC),
        method=scope["method"],
        route=route,
        path=scope["path"][:500],
        status=status,
        duration_seconds=duration,
        client_ip=client[0] if client else None,
        user_agent=headers.get(b"user-agent", b"").decode(errors="replace")[:300] or None,
        owner_id=principal.owner_id if principal else None,
        api_key_id=principal.key_id if principal else None,
        key_prefix=principal.key_prefix if principal else None,
        error_code=state.get("error_code"),
    )


def _body_deadline(receive: Receive, seconds: float) -> Receive:
    """The body must be complete `seconds` after the request began; later reads (waiting for
    a disconnect) are left alone."""
    deadline = time.monotonic() + seconds
    body_done = False

    async def bounded() -> Message:
        nonlocal body_done
        if body_done:
            return await receive()
        try:
            message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
        except TimeoutError:
            raise RequestTimeout(seconds) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            body_done = True
        return message

    return bounded
