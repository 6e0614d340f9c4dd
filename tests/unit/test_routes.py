"""Route-level rules checked without any server."""

from __future__ import annotations

import re
from typing import get_args

from starlette.routing import Route

from services.gateway.developer_api.keys import (
    ALL_OPERATIONS,
    DEVELOPER_BASE,
    DEVELOPER_OPENAPI_PATH,
    developer_routes,
)
from services.gateway.developer_api.schemas import KeyCreate, PublicScope
from services.gateway.public_api.endpoints import BASE, OPENAPI_PATH, OPERATIONS, public_routes
from shared.domain.api_keys import OWNER_SCOPES, PUBLIC_SCOPES, QUICKSTART_SCOPES, Scope


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


def test_developer_api_routes_all_need_an_owner_scope_as_documented() -> None:
    documented = {(op.path, op.method): op.scope for op in ALL_OPERATIONS}
    enforced = {}
    for route in developer_routes():
        assert isinstance(route, Route)
        if route.path == DEVELOPER_OPENAPI_PATH:
            continue
        assert route.path.startswith(DEVELOPER_BASE)
        for method, handler in route.endpoint.handlers.items():  # type: ignore[attr-defined]
            assert handler.required_scope in OWNER_SCOPES, route.path
            path = re.sub(r":(uuid|int)}", "}", route.path)
            enforced[(path, method)] = handler.required_scope
    assert enforced == documented


def test_keys_created_through_the_api_can_only_get_public_scopes() -> None:
    # The schema's Literal feeds the OpenAPI document; it must match the scopes the code knows.
    assert set(get_args(PublicScope)) == {str(s) for s in PUBLIC_SCOPES}
    assert not set(get_args(PublicScope)) & {str(s) for s in OWNER_SCOPES}
    assert KeyCreate(name="x").scopes == [str(s) for s in QUICKSTART_SCOPES]
