"""Route-level rules checked without any server: the router, the guard and the document are
built from one table per API, and the table keeps the access rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, get_args

from starlette.routing import Route

from services.gateway.app import PUBLIC_ROWS
from services.gateway.developer_api import routes as developer_api
from services.gateway.developer_api.routes import DEVELOPER_BASE, DEVELOPER_OPENAPI_PATH
from services.gateway.edge.openapi import openapi_document
from services.gateway.edge.operations import Operation, Row
from services.gateway.edge.routing import api_routes
from services.gateway.management.keys import KeyCreate, PublicScope
from services.gateway.public_api import routes as public_api
from services.gateway.public_api.endpoints import BASE
from services.gateway.public_api.routes import OPENAPI_PATH
from services.gateway.public_api.schemas import EventAccepted
from services.gateway.webhooks import intake
from shared.domain.api_keys import OWNER_SCOPES, PUBLIC_SCOPES, QUICKSTART_SCOPES, Scope


def _served_rows(routes: list[Any]) -> dict[tuple[str, str], Row]:
    """(path, method) -> the row the router serves it from, as the router was built."""
    found = {}
    for route in routes:
        assert isinstance(route, Route)
        for method, row in getattr(route.endpoint, "rows", {}).items():
            found[(re.sub(r":(uuid|int)}", "}", route.path), method)] = row
    return found


def _documented_scopes(rows: Sequence[Row]) -> dict[tuple[str, str], str | None]:
    document = openapi_document(rows, "t", "d")
    return {
        (path, method.upper()): spec.get("x-required-scope")
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    }


REFERENCE_DATA = {f"{BASE}/classifications", f"{BASE}/places"}


def public_routes() -> list[Any]:
    return api_routes(PUBLIC_ROWS, public_api.DOCUMENT)


def test_every_public_api_route_declares_a_scope_but_reference_data() -> None:
    served = _served_rows(public_routes())
    assert len(served) == len(PUBLIC_ROWS)
    for (path, method), row in served.items():
        if row is intake.OPERATION:  # deliveries prove themselves with the sender's signature
            assert path == "/webhooks/{source}/{integrationId}"
            continue
        assert path.startswith(BASE)
        keyed = isinstance(row, Operation) and isinstance(row.scope, Scope)
        assert keyed or path in REFERENCE_DATA, (method, path)


def test_documented_scope_is_the_enforced_scope() -> None:
    served = _served_rows(public_routes())
    enforced = {key: str(row.scope) if isinstance(row, Operation) else None
                for key, row in served.items()}  # fmt: skip
    assert enforced == _documented_scopes(PUBLIC_ROWS)


def test_every_accepted_answer_documents_the_operation_that_answers_its_fate() -> None:
    accepting = [
        row for row in PUBLIC_ROWS if row.responses.get(202, ("", None))[1] is EventAccepted
    ]
    assert len(accepting) >= 4  # create, update, one occurrence, publish/unpublish/cancel
    for row in accepting:
        headers = row.response_headers.get(202, ())
        assert {"Location", "Operation-Location"} <= set(headers), (row.method, row.path)


def test_only_the_index_and_the_openapi_document_are_public() -> None:
    unguarded = [
        r.path for r in public_routes()
        if isinstance(r, Route) and not hasattr(r.endpoint, "rows")
    ]  # fmt: skip
    assert unguarded == [BASE, OPENAPI_PATH]


def test_one_route_per_path_so_405_lists_every_method() -> None:
    paths = [r.path for r in public_routes() if isinstance(r, Route)]
    assert len(paths) == len(set(paths))


def test_developer_api_routes_all_need_an_owner_scope_as_documented() -> None:
    enforced = {}
    routes = api_routes(developer_api.OPERATIONS, developer_api.DOCUMENT)
    for (path, method), row in _served_rows(routes).items():
        assert path.startswith(DEVELOPER_BASE), path
        assert isinstance(row, Operation), path
        assert row.scope in OWNER_SCOPES, path
        enforced[(path, method)] = str(row.scope)
    assert enforced == _documented_scopes(developer_api.OPERATIONS)
    assert DEVELOPER_OPENAPI_PATH not in {p for p, _ in enforced}


def test_keys_created_through_the_api_can_only_get_public_scopes() -> None:
    # The schema's Literal feeds the OpenAPI document; it must match the scopes the code knows.
    assert set(get_args(PublicScope)) == {str(s) for s in PUBLIC_SCOPES}
    assert not set(get_args(PublicScope)) & {str(s) for s in OWNER_SCOPES}
    assert KeyCreate(name="x").scopes == [str(s) for s in QUICKSTART_SCOPES]
