"""Pure ASGI middleware: request id, one log line, metrics and one audit record per request."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.context import Exchange, Gateway
from services.gateway.edge.admission import Gate
from services.gateway.errors import BodyTimeout
from shared.contracts.messages import AuditRecord
from shared.runtime import http_edge as edge
from shared.runtime.ops_http import OPS_PATHS, request_log_level

log = structlog.get_logger("gateway.request")

_UNAUDITED = OPS_PATHS


class RequestObserver:
    def __init__(
        self, app: ASGIApp, body_timeout_seconds: float = 10.0, gate: Gate | None = None
    ) -> None:
        self.app = app
        self.body_timeout_seconds = body_timeout_seconds
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = edge.request_id(scope)
        if self.gate is not None and await self.gate.refused(scope, send, request_id, started):
            return
        exchange = Exchange(request_id)
        scope.setdefault("state", {})["exchange"] = exchange
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
            self._record(scope, exchange, status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")

    def _record(self, scope: Scope, exchange: Exchange, status: int, duration: float) -> None:
        route = edge.route_template(scope)
        edge.count_request(route, scope["method"], status, duration)
        principal = exchange.principal or exchange.inactive_key
        log.log(
            request_log_level(scope["path"], status),
            "request",
            method=scope["method"],
            route=route,
            status=status,
            duration_seconds=round(duration, 6),
            key_prefix=principal.key_prefix if principal else None,
            error_code=exchange.error_code,
        )
        # Absent only before the lifespan has built the gateway.
        gateway: Gateway | None = scope["state"].get("gateway")
        if scope["path"] not in _UNAUDITED and gateway is not None:
            gateway.writer.write_audit(_audit_record(scope, exchange, route, status, duration))


def _audit_record(
    scope: Scope, exchange: Exchange, route: str, status: int, duration: float
) -> AuditRecord:
    principal = exchange.principal or exchange.inactive_key
    headers = dict(scope["headers"])
    client = scope.get("client")
    return AuditRecord(
        record_id=uuid.uuid4(),
        request_id=exchange.request_id,
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
        error_code=exchange.error_code,
    )


def _body_deadline(receive: Receive, seconds: float) -> Receive:
    """The body must be complete `seconds` after the request began; later reads (waiting for
    a disconnect) are left alone."""
    deadline = asyncio.get_running_loop().time() + seconds
    body_done = False

    async def bounded() -> Message:
        nonlocal body_done
        if body_done:
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise BodyTimeout(seconds) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            body_done = True
        return message

    return bounded
