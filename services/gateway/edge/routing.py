"""Routes and OpenAPI documents built from operations tables, so the two cannot disagree."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from services.gateway.edge.guard import Endpoint
from services.gateway.edge.openapi import Operation, openapi_document
from services.gateway.public_api.schemas import ErrorEnvelope


def routes_for(
    operations: Sequence[Operation],
    endpoints: Mapping[str, Endpoint],
    convertors: Mapping[str, str],
) -> list[BaseRoute]:
    """One route per path, so a 405 lists in `Allow` every method the path supports.
    `convertors` types path parameters, e.g. {"eventId": "uuid"}."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = endpoints[op.operation_id]
    routes: list[BaseRoute] = []
    for path, handlers in by_path.items():
        typed = path
        for name, convertor in convertors.items():
            typed = typed.replace(f"{{{name}}}", f"{{{name}:{convertor}}}")
        routes.append(Route(typed, _dispatch(handlers), methods=list(handlers)))
    return routes


def openapi_route(path: str, document: Callable[[], dict[str, Any]]) -> Route:
    """The YAML document at `path`, rendered once on first request."""

    @cache
    def text() -> str:
        return str(yaml.dump(document(), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True))

    async def serve(_: Request) -> Response:
        return Response(text(), media_type="application/yaml")

    return Route(path, serve, methods=["GET"])


def document_for(
    operations: Sequence[Operation], title: str, description: str
) -> Callable[[], dict[str, Any]]:
    error_model: type[BaseModel] = ErrorEnvelope
    return lambda: openapi_document(operations, error_model, title, description)


def _dispatch(handlers: dict[str, Endpoint]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    endpoint.handlers = handlers  # type: ignore[attr-defined]
    return endpoint


class _PlainDumper(yaml.SafeDumper):
    """No `&id001` anchors: some OpenAPI tools do not resolve YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True
