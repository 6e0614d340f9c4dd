"""An unhandled error is logged with its request's id, in both services: their handlers run
outside the edge middleware, whose logging context is gone by then (the helper's trial found
no request id on a 500's traceback)."""

from __future__ import annotations

import httpx
import pytest
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from services.discovery.web.errors import EXCEPTION_HANDLERS as DISCOVERY_HANDLERS
from services.gateway.edge.errors import EXCEPTION_HANDLERS as GATEWAY_HANDLERS
from shared.runtime.http_server import LoggedOnce


async def broken(_: Request) -> None:
    raise RuntimeError("a bug")


class WithRequestId:
    """What each service's edge middleware puts in the request's state."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        exchange = type("Exchange", (), {"request_id": "req_abc", "quota_headers": {}})()
        scope.setdefault("state", {}).update(request_id="req_abc", exchange=exchange)
        await self.app(scope, receive, send)  # type: ignore[operator]


async def test_both_services_log_an_unhandled_error_with_its_request_id() -> None:
    for handlers in (GATEWAY_HANDLERS, DISCOVERY_HANDLERS):
        app = Starlette(
            routes=[Route("/api/broken", broken)],
            exception_handlers=handlers,  # type: ignore[arg-type]
            middleware=[Middleware(WithRequestId)],
        )
        # As `serve` runs it: the error is answered and logged once, not raised to uvicorn
        # (whose own traceback would have no request id).
        transport = httpx.ASGITransport(LoggedOnce(app))
        with structlog.testing.capture_logs() as logs:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                answer = await client.get("/api/broken")
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "internal_error"
        (line,) = [entry for entry in logs if entry["event"] == "unhandled error"]
        assert line["request_id"] == "req_abc"


async def test_a_lifespan_error_still_reaches_the_server() -> None:
    async def failing_app(scope: dict, receive: object, send: object) -> None:
        raise RuntimeError(scope["type"])

    for scope_type in ("lifespan", "websocket"):
        with pytest.raises(RuntimeError, match=scope_type):
            await LoggedOnce(failing_app)({"type": scope_type}, None, None)
