"""An API's base path answers with the routes served under it, so that a URL people are shown
(`make run` prints the public and people APIs') is never a 404, and the list cannot drift
from the routes: it is built from them."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from shared.runtime.http_edge import openapi_template


def index_of(
    base: str, routes: Sequence[BaseRoute], authentication: str, documentation: str
) -> Route:
    """`GET base`: 200 `{"endpoints": [{"method", "path"}], "authentication",
    "documentation"}`, every route of `routes` in their order (HEAD, which Starlette adds to
    each GET, left out; mounts, which have no methods, too)."""
    endpoints = [
        {"method": method, "path": openapi_template(route.path)}
        for route in routes
        if isinstance(route, Route)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    body = {
        "endpoints": endpoints,
        "authentication": authentication,
        "documentation": documentation,
    }

    async def index(request: Request) -> Response:
        return JSONResponse(body)

    return Route(base, index, methods=["GET"])
