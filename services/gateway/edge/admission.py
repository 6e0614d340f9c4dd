"""Admission control at the edge: a write route's handler behind the gate answers 503
`overloaded` with Retry-After at once while the controller refuses, before authentication,
quotas or reading the body, so a refusal costs next to nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.responses import Response

from services.gateway.access.admission import SojournController
from services.gateway.context import GatewayRequest
from services.gateway.errors import Overloaded
from shared.core.metrics import ADMISSION_REJECTED

Handler = Callable[[GatewayRequest], Awaitable[Response]]


@dataclass(frozen=True)
class Gate:
    controller: SojournController
    retry_after_seconds: int

    def guard(self, handler: Handler, route: str) -> Handler:
        """`handler`, refused while the controller refuses; counted per `route` template."""
        rejected = ADMISSION_REJECTED.labels(route)  # bound once, not per request
        controller = self.controller
        retry_after = self.retry_after_seconds

        async def admitted(request: GatewayRequest) -> Response:
            if controller.refusing:
                rejected.inc()
                raise Overloaded(retry_after)
            return await handler(request)

        return admitted
