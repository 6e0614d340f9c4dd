"""Route-level rules checked without any server."""

from __future__ import annotations

from starlette.routing import Route

from services.gateway.api import BASE, OPENAPI_PATH, OPERATIONS, public_routes
from shared.api_keys import Scope


def _routes() -> list[Route]:
    return [r for r in public_routes() if isinstance(r, Route)]


def test_every_public_api_route_declares_a_scope() -> None:
    api_routes = [r for r in _routes() if r.path.startswith(BASE)]
    assert len(api_routes) == len(OPERATIONS)
    for route in api_routes:
        assert isinstance(getattr(route.endpoint, "required_scope", None), Scope), route.path


def test_documented_scope_is_the_enforced_scope() -> None:
    enforced = {
        (r.path, m): r.endpoint.required_scope
        for r in _routes()  # type: ignore[attr-defined]
        for m in (r.methods or ())
        if r.path.startswith(BASE) and m != "HEAD"
    }
    documented = {(op.path, op.method): op.scope for op in OPERATIONS}
    assert enforced == documented


def test_only_the_openapi_document_is_public() -> None:
    unguarded = [r.path for r in _routes() if not hasattr(r.endpoint, "required_scope")]
    assert unguarded == [OPENAPI_PATH]
