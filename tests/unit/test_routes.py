"""Route-level rules checked without any server."""

from __future__ import annotations

from starlette.routing import Route

from services.gateway.api import BASE, OPENAPI_PATH, OPERATIONS, public_routes
from shared.api_keys import Scope


def _handlers() -> dict[tuple[str, str], object]:
    found = {}
    for route in public_routes():
        assert isinstance(route, Route)
        for method, handler in getattr(route.endpoint, "handlers", {}).items():
            found[(route.path.replace("{eventId:uuid}", "{eventId}"), method)] = handler
    return found


REFERENCE_DATA = {f"{BASE}/classifications", f"{BASE}/places"}


def test_every_public_api_route_declares_a_scope_but_reference_data() -> None:
    handlers = _handlers()
    assert len(handlers) == len(OPERATIONS)
    for (path, method), handler in handlers.items():
        assert path.startswith(BASE)
        scope = getattr(handler, "required_scope", None)
        assert isinstance(scope, Scope) or path in REFERENCE_DATA, (method, path)


def test_documented_scope_is_the_enforced_scope() -> None:
    enforced = {key: getattr(h, "required_scope", None) for key, h in _handlers().items()}
    documented = {(op.path, op.method): op.scope for op in OPERATIONS}
    assert enforced == documented


def test_only_the_openapi_document_is_public() -> None:
    unguarded = [
        r.path for r in public_routes()
        if isinstance(r, Route) and not hasattr(r.endpoint, "handlers")
    ]  # fmt: skip
    assert unguarded == [OPENAPI_PATH]


def test_one_route_per_path_so_405_lists_every_method() -> None:
    paths = [r.path for r in public_routes() if isinstance(r, Route)]
    assert len(paths) == len(set(paths))
