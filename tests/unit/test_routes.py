"""Route-level rules checked without any server."""

from __future__ import annotations

from starlette.routing import Route

from services.gateway.api import public_routes
from shared.api_keys import Scope


def test_every_public_route_declares_a_scope() -> None:
    routes = [r for r in public_routes() if isinstance(r, Route)]
    assert routes
    for route in routes:
        assert isinstance(getattr(route.endpoint, "required_scope", None), Scope), route.path
