"""One route, one label: metrics, logs and audit rows name a route by its OpenAPI template,
whether the edge refused the request before routing or a handler answered it."""

from __future__ import annotations

from starlette.routing import Route

from services.gateway.app import PUBLIC_ROWS
from services.gateway.developer_api import routes as developer_api
from services.gateway.edge.routing import routes_for
from shared.runtime.http_edge import openapi_template, route_template


def test_convertors_are_left_out_of_the_template() -> None:
    assert openapi_template("/a/{x:uuid}/b/{y:int}/{rest:path}") == "/a/{x}/b/{y}/{rest}"
    assert openapi_template("/a/{x}") == "/a/{x}"


def test_every_typed_route_is_labelled_with_its_rows_path() -> None:
    rows = (*PUBLIC_ROWS, *developer_api.OPERATIONS)
    typed = [r for r in routes_for(rows) if isinstance(r, Route) and ":" in r.path]
    assert typed  # uuid and integer parameters are matched as such
    documented = {row.path for row in rows}
    for route in typed:
        assert route_template({"route": route}) in documented, route.path


def test_an_unmatched_request_shares_one_label() -> None:
    assert route_template({}) == "unmatched"
