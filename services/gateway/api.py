"""Routes of the public API v1. Each declares its scope with `requires`."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.gateway.auth import Principal
from services.gateway.errors import NotFound
from services.gateway.guard import requires
from services.gateway.http_io import (
    idempotency_key,
    page_body,
    page_request,
    prefers_async,
    read_json,
)
from shared.api_keys import Scope
from shared.event_view import event_view

BASE = "/api/public/v1"

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
        event_id = uuid.UUID(request.path_params["event_id"])
    except ValueError:
        raise NotFound("No event with that id is accessible to this key.") from None
    row = await request.app.state.ctx.repository.event(principal.owner_id, event_id)
    if row is None:
        raise NotFound("No event with that id is accessible to this key.")
    return JSONResponse(event_view(row))


def public_routes() -> list[BaseRoute]:
    return [
        Route(f"{BASE}/channels", list_channels, methods=["GET"]),
        Route(f"{BASE}/events", create_event, methods=["POST"]),
        Route(f"{BASE}/events/{{event_id}}", get_event, methods=["GET"]),
    ]
