"""Starlette routes built from the rows of an operations table, each keyed one behind the
guard its row declares, and the table's OpenAPI document served as YAML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from services.gateway.context import GatewayRequest
from services.gateway.edge.guard import admit, count, ip_limit
from services.gateway.edge.openapi import openapi_document
from services.gateway.edge.operations import OpenOperation, Operation, Row
from shared.runtime.api_index import index_of

Handler = Callable[[GatewayRequest], Awaitable[Response]]


def routes_for(rows: Sequence[Row]) -> list[BaseRoute]:
    """One route per path, so a 405 lists in `Allow` every method the path supports. A path
    parameter documented as a uuid or an integer is matched as one (`/events/batch` is no
    event id)."""
    by_path: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_path.setdefault(row.path, {})[row.method] = row
    return [
        Route(_typed_path(path, methods.values()), _dispatch(methods), methods=list(methods))
        for path, methods in by_path.items()
    ]


@dataclass(frozen=True)
class Document:
    """Where an API's OpenAPI document is served, what it says the API is, and the API's base
    path and authentication as its index (`GET base`) states them."""

    path: str
    title: str
    description: str
    base: str
    authentication: str


def api_routes(rows: Sequence[Row], document: Document) -> list[BaseRoute]:
    """The rows' routes, their OpenAPI document (YAML, rendered on first request) and the
    API's index at its base path (every row's method and path, and where the document is)."""

    @cache
    def text() -> str:
        spec = openapi_document(rows, document.title, document.description)
        return str(yaml.dump(spec, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True))

    async def serve(_: Request) -> Response:
        return Response(text(), media_type="application/yaml")

    routes = routes_for(rows)
    index = index_of(document.base, routes, document.authentication, document.path)
    return [index, *routes, Route(document.path, serve, methods=["GET"])]


def _dispatch(methods: dict[str, Row]) -> Handler:
    handlers = {method: _handler(row) for method, row in methods.items()}

    async def endpoint(request: GatewayRequest) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    endpoint.rows = methods  # type: ignore[attr-defined]  # for tests of the table's rules
    return endpoint


def _handler(row: Row) -> Handler:
    if isinstance(row, OpenOperation):
        return _open(row)
    return _keyed(row)


def _open(row: OpenOperation) -> Handler:
    async def handle(request: GatewayRequest) -> Response:
        gateway = request.state["gateway"]
        if row.quota == "ip":
            # Open, but not unmetered: a flood from one address is refused before its work.
            await count(request, gateway, [ip_limit(request, gateway)])
        response = await row.endpoint(request, gateway)
        response.headers.update(request.state["exchange"].quota_headers)
        return response

    return handle


def _keyed(row: Operation) -> Handler:
    async def handle(request: GatewayRequest) -> Response:
        gateway = request.state["gateway"]
        principal = await admit(request, gateway, row.scopes, row.quota)
        response = await row.endpoint(request, gateway, principal)
        response.headers.update(request.state["exchange"].quota_headers)
        return response

    return handle


def _typed_path(path: str, rows: Iterable[Row]) -> str:
    for row in rows:
        for param in row.params:
            kind = str(param.schema.get("format") or param.schema.get("type"))
            convertor = _CONVERTORS.get(kind)
            if param.location == "path" and convertor:
                path = path.replace(f"{{{param.name}}}", f"{{{param.name}:{convertor}}}")
    return path


# Path parameters matched as the type they are documented as (Starlette's convertors).
_CONVERTORS = {"uuid": "uuid", "integer": "int"}


class _PlainDumper(yaml.SafeDumper):
    """No `&id001` anchors: some OpenAPI tools do not resolve YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True
