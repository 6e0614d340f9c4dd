"""Routes of the public API v1, declared once as operations: the router and the OpenAPI
document are both built from `OPERATIONS`. Each route declares its scope with `requires`."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.gateway.auth import Principal
from services.gateway.errors import NotFound
from services.gateway.guard import Endpoint, requires
from services.gateway.http_io import (
    DEFAULT_PAGE_LIMIT,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_PAGE,
    MAX_PAGE_LIMIT,
    idempotency_key,
    page_body,
    page_request,
    prefers_async,
    read_json,
)
from services.gateway.openapi import Operation, Param, openapi_document
from services.gateway.schemas import ChannelPage, ErrorEnvelope, EventAccepted
from shared.api_keys import Scope
from shared.event_model import EventInput
from shared.event_view import EventView, event_view

BASE = "/api/public/v1"
OPENAPI_PATH = "/api/developer/openapi/public-api-v1"

_REPLAYED_HEADER = "Idempotent-Replayed"


def _event_location(event_id: uuid.UUID | str) -> str:
    return f"{BASE}/events/{event_id}"


@requires(Scope.CHANNELS_READ)
async def list_channels(request: Request, principal: Principal) -> Response:
    page = page_request(request)
    rows, total = await request.app.state.ctx.repository.channels_page(
        principal.owner_id, page.limit, page.offset
    )
    return JSONResponse(page_body([_channel_view(r) for r in rows], total, page))


def _channel_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": "owner" if row["owned"] else "member",
        "createdAt": row["created_at"].isoformat(),
    }


@requires(Scope.EVENTS_CREATE, route_limit="events_create")
async def create_event(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    key = idempotency_key(request)
    payload = await read_json(request, ctx.settings.max_body_bytes)
    result = await ctx.submitter.submit(
        principal, payload, key, request.state.request_id, prefers_async(request)
    )
    location = {"Location": _event_location(result.event_id)}
    if result.state == "accepted":
        body = {"id": str(result.event_id), "state": "accepted", "location": location["Location"]}
        return JSONResponse(body, status_code=202, headers=location)
    body = result.event or {"id": str(result.event_id)}
    if result.state == "replayed":
        return JSONResponse(body, status_code=200, headers={**location, _REPLAYED_HEADER: "true"})
    return JSONResponse(body, status_code=201, headers=location)


@requires(Scope.EVENTS_READ)
async def get_event(request: Request, principal: Principal) -> Response:
    try:
        event_id = uuid.UUID(request.path_params["eventId"])
    except ValueError:
        raise NotFound("No event with that id is accessible to this key.") from None
    row = await request.app.state.ctx.repository.event(principal.owner_id, event_id)
    if row is None:
        raise NotFound("No event with that id is accessible to this key.")
    return JSONResponse(event_view(row))


async def openapi_yaml(_: Request) -> Response:
    return Response(_openapi_text(), media_type="application/yaml")


@cache
def _openapi_text() -> str:
    document = openapi_document(OPERATIONS, ErrorEnvelope)
    return str(yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True))


class _PlainDumper(yaml.SafeDumper):
    """No `&id001` anchors: some OpenAPI tools do not resolve YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_LOCATION = {"Location": {"schema": {"type": "string"}, "description": "Where to read the event"}}
_PAGE_PARAMS = (
    Param(
        "page",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "Page number",
    ),
    Param(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_LIMIT, "default": DEFAULT_PAGE_LIMIT},
        "Items per page",
    ),
)
_CREATE_PARAMS = (
    Param(
        "Idempotency-Key",
        "header",
        {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH},
        "Stable key per source event and action; retries with it never duplicate",
    ),
    Param(
        "Prefer",
        "header",
        {"type": "string", "enum": ["respond-async"]},
        "respond-async: answer 202 at once instead of waiting for the stored event",
    ),
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        f"{BASE}/channels",
        "listChannels",
        "List the channels this key's owner owns or is a member of",
        Scope.CHANNELS_READ,
        responses={200: ("A page of channels", ChannelPage)},
        errors=(400, 401, 403, 429),
        params=_PAGE_PARAMS,
    ),
    Operation(
        "POST",
        f"{BASE}/events",
        "createEvent",
        "Create a draft or published event",
        Scope.EVENTS_CREATE,
        request=EventInput,
        responses={
            201: ("Created and stored", EventView),
            200: ("Replay of an earlier request with the same Idempotency-Key", EventView),
            202: ("Accepted and durable; poll Location for the stored event", EventAccepted),
        },
        errors=(400, 401, 403, 413, 415, 422, 429, 503),
        params=_CREATE_PARAMS,
        response_headers={201: _LOCATION, 200: _LOCATION, 202: _LOCATION},
    ),
    Operation(
        "GET",
        f"{BASE}/events/{{eventId}}",
        "getEvent",
        "Read one event",
        Scope.EVENTS_READ,
        responses={200: ("The event", EventView)},
        errors=(401, 403, 404, 429),
        params=(Param("eventId", "path", {"type": "string", "format": "uuid"}, "Event id"),),
    ),
)

_ENDPOINTS: dict[str, Endpoint] = {
    "listChannels": list_channels,
    "createEvent": create_event,
    "getEvent": get_event,
}


def public_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route(op.path, _ENDPOINTS[op.operation_id], methods=[op.method]) for op in OPERATIONS
    ]
    return [*routes, Route(OPENAPI_PATH, openapi_yaml, methods=["GET"])]
