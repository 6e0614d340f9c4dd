"""A route declared once: one row carries its method, path, endpoint, access rule (scope and
quota) and OpenAPI description; the router (`routing.py`), the guard (`guard.py`) and the
document (`openapi.py`) are all built from the rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from starlette.responses import Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import Quota
from services.gateway.context import Gateway, GatewayRequest
from shared.domain.api_keys import Scope

KeyedEndpoint = Callable[[GatewayRequest, Gateway, Principal], Awaitable[Response]]
OpenEndpoint = Callable[[GatewayRequest, Gateway], Awaitable[Response]]


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query", "path" or "header"
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True, kw_only=True)
class _Row:
    """What every route declares: where it is, and how the document describes it."""

    method: str
    path: str
    operation_id: str
    summary: str
    request: type[BaseModel] | None = None
    request_required: bool = True
    responses: Mapping[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    params: tuple[Param, ...] = ()
    # Headers of some answers beyond those every answer has (edge/openapi.py HEADERS names).
    response_headers: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Operation(_Row):
    """A route that needs an API key holding `scope`; `quota`, when set, is the route's own
    rate limit on top of the per-IP and per-key ones."""

    endpoint: KeyedEndpoint
    scope: Scope
    quota: Quota | None = None
    # Scopes that admit the route as well as `scope` (any one of them is enough).
    also_scopes: tuple[Scope, ...] = ()

    @property
    def scopes(self) -> tuple[Scope, ...]:
        return (self.scope, *self.also_scopes)


@dataclass(frozen=True, kw_only=True)
class OpenOperation(_Row):
    """A route anyone may call: public reference data, or one whose caller proves itself
    otherwise (webhook deliveries are signed: `security` names the OpenAPI schemes and
    `description` says how)."""

    endpoint: OpenEndpoint
    # Which quota counts the route's requests (its answers then carry the RateLimit headers):
    # "ip", the router counts every request in the caller's per-IP quota before the endpoint;
    # "endpoint", the endpoint counts its own (webhook deliveries: per integration, and per IP
    # when a delivery fails verification); None, not counted.
    quota: Literal["ip", "endpoint"] | None = None
    security: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    description: str = ""


Row = Operation | OpenOperation
