"""The public API's endpoints: each reads its request, calls the service layer in named steps
and answers. Access rules (scope, quota) are on each route's row in `routes.py`."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.adapters.operations import operation_location
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.http_io import (
    decoded_json,
    event_filters,
    idempotency_key,
    page_body,
    page_request,
    prefers_async,
    read_json,
    read_json_text,
)
from services.gateway.edge.operations import KeyedEndpoint
from services.gateway.errors import EventNotFound, InvalidQueryParameter
from services.gateway.submission.envelopes import Call
from services.gateway.submission.submitter import Submission
from shared.contracts.event_view import event_view
from shared.contracts.messages import StatusAction
from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.place_names import search
from shared.domain.storable import surely_storable_json

BASE = "/api/public/v1"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_PLACE_QUERY = 200


async def create_event(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    call = _call(request, principal)
    text = await read_json_text(request, gateway.settings.max_body_bytes)
    payload = decoded_json(text)
    known_storable = surely_storable_json(text)
    command = await gateway.submitter.prepare_create(call, payload, known_storable=known_storable)
    return submission_response(await gateway.submitter.submit(call, command, payload))


async def update_event(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    call = _call(request, principal)
    payload = await read_json(request, gateway.settings.max_body_bytes)
    command = await gateway.submitter.prepare_update(call, _event_id(request), payload)
    return submission_response(await gateway.submitter.submit(call, command, payload))


async def update_occurrence(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    call = _call(request, principal)
    payload = await read_json(request, gateway.settings.max_body_bytes)
    start: str = request.path_params["start"]
    prepare = gateway.submitter.prepare_occurrence_change
    command = await prepare(call, _event_id(request), start, payload)
    # The occurrence is part of what the Idempotency-Key stands for.
    named = {"occurrence": command.occurrence.isoformat(), "body": payload}
    return submission_response(await gateway.submitter.submit(call, command, named))


def change_status(action: StatusAction) -> KeyedEndpoint:
    async def endpoint(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
        call = _call(request, principal)
        command = await gateway.submitter.prepare_status_change(call, _event_id(request), action)
        return submission_response(
            await gateway.submitter.submit(call, command, {"action": action})
        )

    return endpoint


async def create_event_batch(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    text = await read_json_text(request, gateway.settings.max_batch_body_bytes)
    results = await gateway.batch.submit(
        _call(request, principal), decoded_json(text), known_storable=surely_storable_json(text)
    )
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return JSONResponse({"results": results, "counts": counts})


def submission_response(submission: Submission) -> Response:
    """201 created, 200 updated or replayed, 202 accepted but not yet applied (with the
    operation that answers its fate)."""
    location = event_location(submission.event_id)
    if submission.state == "accepted":
        assert submission.operation_id is not None  # the submitter names every accepted one
        operation = operation_location(submission.operation_id)
        body = {
            "id": str(submission.event_id),
            "state": "accepted",
            "location": location,
            "operationId": submission.operation_id,
            "operation": operation,
        }
        headers = {"Location": location, "Operation-Location": operation}
        return JSONResponse(body, status_code=202, headers=headers)
    stored = submission.event or {"id": str(submission.event_id)}
    if submission.state == "replayed":
        replayed = {"Location": location, REPLAYED_HEADER: "true"}
        return JSONResponse(stored, status_code=200, headers=replayed)
    status = 201 if submission.state == "created" else 200
    return JSONResponse(stored, status_code=status, headers={"Location": location})


async def list_events(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    page = page_request(request)
    rows, total = await gateway.events.events_page(
        principal.owner_id, event_filters(request), page.limit, page.offset
    )
    return JSONResponse(page_body([event_view(r) for r in rows], total, page))


async def get_event(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    row = await gateway.events.event(principal.owner_id, _event_id(request))
    if row is None:
        raise EventNotFound()
    return JSONResponse(event_view(row))


async def list_channels(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    page = page_request(request)
    rows, total = await gateway.events.channels_page(principal.owner_id, page.limit, page.offset)
    return JSONResponse(page_body([_channel_view(r) for r in rows], total, page))


async def list_classifications(_: GatewayRequest, __: Gateway) -> Response:
    docs = [{"slug": slug, "name": name} for slug, name in sorted(CLASSIFICATIONS.items())]
    return JSONResponse({"docs": docs})


async def search_places(request: GatewayRequest, _: Gateway) -> Response:
    page = page_request(request)
    country = request.query_params.get("countryCode")
    if country is not None:  # a filter, so `ch` is CH; an event's own countryCode is exact
        if not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise InvalidQueryParameter(
                "countryCode", "must be two letters, e.g. US", "invalid", "ISO 3166-1 alpha-2"
            )
        country = country.upper()
    query = request.query_params.get("q", "")
    if len(query) > MAX_PLACE_QUERY:
        limit = f"at most {MAX_PLACE_QUERY} characters"
        raise InvalidQueryParameter("q", f"must be {limit}", "too_long", limit)
    places, total = search(query, country, page.limit, page.offset)
    return JSONResponse(page_body([p.model_dump(mode="json") for p in places], total, page))


def event_location(event_id: uuid.UUID | str) -> str:
    return f"{BASE}/events/{event_id}"


def _call(request: GatewayRequest, principal: Principal) -> Call:
    return Call(
        principal,
        idempotency_key(request),
        request.state["exchange"].request_id,
        prefers_async(request),
    )


def _event_id(request: GatewayRequest) -> uuid.UUID:
    event_id: uuid.UUID = request.path_params["eventId"]  # the route's uuid convertor made it
    return event_id


def _channel_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": "owner" if row["owned"] else "member",
        "createdAt": row["created_at"].isoformat(),
    }
