"""Routes of the public API v1, declared once as operations: the router and the OpenAPI
document are both built from `OPERATIONS`. Each route declares its scope with `requires`."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from services.gateway.access.auth import Principal
from services.gateway.edge.errors import BadRequest, NotFound
from services.gateway.edge.guard import Endpoint, requires
from services.gateway.edge.http_io import (
    EVENT_STATUSES,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    PAGE_PARAMS,
    event_filters,
    idempotency_key,
    page_body,
    page_request,
    prefers_async,
    read_json,
)
from services.gateway.edge.openapi import Operation, Param
from services.gateway.edge.routing import document_for, openapi_route, routes_for
from services.gateway.public_api.schemas import (
    BatchResult,
    ChannelPage,
    ClassificationList,
    EventAccepted,
    EventPage,
    PlacePage,
)
from services.gateway.submission.batch_model import EventBatch
from services.gateway.submission.submitter import Request as SubmissionRequest
from services.gateway.submission.submitter import Submission
from shared.contracts.event_view import EventView, event_view
from shared.contracts.messages import StatusAction
from shared.domain.api_keys import Scope
from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.events import EventInput, EventPatch, FieldError
from shared.domain.places import search

BASE = "/api/public/v1"
OPENAPI_PATH = "/api/developer/openapi/public-api-v1"

_REPLAYED_HEADER = "Idempotent-Replayed"
MAX_PLACE_QUERY = 200


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
    submission = _submission_request(request, principal)
    payload = await read_json(request, ctx.settings.max_body_bytes)
    return _answer(await ctx.submitter.create(submission, payload))


@requires(Scope.EVENTS_CREATE, route_limit="events_create")
async def create_event_batch(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    payload = await read_json(request, ctx.settings.max_batch_body_bytes)
    results = await ctx.batch.submit(_submission_request(request, principal), payload)
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return JSONResponse({"results": results, "counts": counts})


@requires(Scope.EVENTS_UPDATE)
async def update_event(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    submission = _submission_request(request, principal)
    event_id = _event_id(request)
    payload = await read_json(request, ctx.settings.max_body_bytes)
    return _answer(await ctx.submitter.update(submission, event_id, payload))


def _status_endpoint(action: StatusAction) -> Endpoint:
    @requires(Scope.EVENTS_UPDATE)
    async def change_status(request: Request, principal: Principal) -> Response:
        submission = _submission_request(request, principal)
        submitter = request.app.state.ctx.submitter
        return _answer(await submitter.change_status(submission, _event_id(request), action))

    return change_status


def _submission_request(request: Request, principal: Principal) -> SubmissionRequest:
    return SubmissionRequest(
        principal, idempotency_key(request), request.state.request_id, prefers_async(request)
    )


def _event_id(request: Request) -> uuid.UUID:
    event_id: uuid.UUID = request.path_params["eventId"]  # the route's uuid convertor made it
    return event_id


def _answer(result: Submission) -> Response:
    """201 created, 200 updated or replayed, 202 accepted but not yet applied."""
    location = {"Location": _event_location(result.event_id)}
    if result.state == "accepted":
        body = {"id": str(result.event_id), "state": "accepted", "location": location["Location"]}
        return JSONResponse(body, status_code=202, headers=location)
    body = result.event or {"id": str(result.event_id)}
    if result.state == "replayed":
        return JSONResponse(body, status_code=200, headers={**location, _REPLAYED_HEADER: "true"})
    return JSONResponse(
        body, status_code=201 if result.state == "created" else 200, headers=location
    )


@requires(Scope.EVENTS_READ)
async def list_events(request: Request, principal: Principal) -> Response:
    page = page_request(request)
    rows, total = await request.app.state.ctx.repository.events_page(
        principal.owner_id, event_filters(request), page.limit, page.offset
    )
    return JSONResponse(page_body([event_view(r) for r in rows], total, page))


@requires(Scope.EVENTS_READ)
async def get_event(request: Request, principal: Principal) -> Response:
    row = await request.app.state.ctx.repository.event(principal.owner_id, _event_id(request))
    if row is None:
        raise NotFound("No event with that id is accessible to this key.")
    return JSONResponse(event_view(row))


async def list_classifications(_: Request) -> Response:
    docs = [{"slug": slug, "name": name} for slug, name in sorted(CLASSIFICATIONS.items())]
    return JSONResponse({"docs": docs})


async def search_places(request: Request) -> Response:
    page = page_request(request)
    country = request.query_params.get("countryCode")
    if country is not None and not (len(country) == 2 and country.isalpha() and country.isupper()):
        raise BadRequest(
            "Query parameter 'countryCode' must be two capital letters, e.g. US.",
            code="invalid_query_parameter",
            fields=[FieldError("countryCode", "invalid", "ISO 3166-1 alpha-2")],
        )
    query = request.query_params.get("q", "")
    if len(query) > MAX_PLACE_QUERY:
        raise BadRequest(
            f"Query parameter 'q' must be at most {MAX_PLACE_QUERY} characters.",
            code="invalid_query_parameter",
            fields=[FieldError("q", "too_long", f"at most {MAX_PLACE_QUERY} characters")],
        )
    places, total = search(query, country, page.limit, page.offset)
    return JSONResponse(page_body([p.model_dump(mode="json") for p in places], total, page))


_LOCATION = {"Location": {"schema": {"type": "string"}, "description": "Where to read the event"}}
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

_DATE_TIME = {"type": "string", "format": "date-time"}
_EVENT_ID = Param("eventId", "path", {"type": "string", "format": "uuid"}, "Event id")
_STATUS_ACTIONS: dict[StatusAction, str] = {
    "publish": "Publish a draft event",
    "unpublish": "Take a published event back to draft",
    "cancel": "Cancel an event (it stays readable, marked cancelled)",
}
_EVENT_FILTERS = (
    Param("channelId", "query", {"type": "integer", "minimum": 1}, "Only this channel"),
    Param("status", "query", {"type": "string", "enum": list(EVENT_STATUSES)}, "Only this status"),
    Param("startsAfter", "query", _DATE_TIME, "Start at or after this instant"),
    Param("startsBefore", "query", _DATE_TIME, "Start before this instant"),
    Param("updatedSince", "query", _DATE_TIME, "Changed at or after this instant (sync jobs)"),
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
        params=PAGE_PARAMS,
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
            200: (
                "Updated (same sourceId in the channel), or a replay of the same Idempotency-Key",
                EventView,
            ),
            202: ("Accepted and durable; poll Location for the stored event", EventAccepted),
        },
        errors=(400, 401, 403, 409, 413, 415, 422, 429, 503),
        params=_CREATE_PARAMS,
        response_headers={201: _LOCATION, 200: _LOCATION, 202: _LOCATION},
    ),
    Operation(
        "GET",
        f"{BASE}/classifications",
        "listClassifications",
        "The classification slugs an event may carry (public reference data)",
        None,
        responses={200: ("Every known slug", ClassificationList)},
    ),
    Operation(
        "GET",
        f"{BASE}/places",
        "searchPlaces",
        "Search the place catalogue for approxLocation.city (public reference data)",
        None,
        responses={200: ("Matching places, most populous first", PlacePage)},
        errors=(400,),
        params=(
            Param(
                "q",
                "query",
                {"type": "string", "maxLength": MAX_PLACE_QUERY},
                "Name or word prefix",
            ),
            Param(
                "countryCode",
                "query",
                {"type": "string", "pattern": "^[A-Z]{2}$"},
                "Only this country",
            ),
            *PAGE_PARAMS,
        ),
    ),
    Operation(
        "POST",
        f"{BASE}/events/batch",
        "createEventBatch",
        "Create up to 500 events at once; one result per item, partial success allowed",
        Scope.EVENTS_CREATE,
        request=EventBatch,
        responses={200: ("One result per item, in order", BatchResult)},
        errors=(400, 401, 403, 413, 415, 422, 429, 503),
    ),
    Operation(
        "GET",
        f"{BASE}/events",
        "listEvents",
        "List events in channels this key's owner can access, soonest first",
        Scope.EVENTS_READ,
        responses={200: ("A page of events", EventPage)},
        errors=(400, 401, 403, 429),
        params=(*PAGE_PARAMS, *_EVENT_FILTERS),
    ),
    Operation(
        "GET",
        f"{BASE}/events/{{eventId}}",
        "getEvent",
        "Read one event",
        Scope.EVENTS_READ,
        responses={200: ("The event", EventView)},
        errors=(401, 403, 404, 429),
        params=(_EVENT_ID,),
    ),
    Operation(
        "PATCH",
        f"{BASE}/events/{{eventId}}",
        "updateEvent",
        "Change some fields of an event; send sourceUpdatedAt to ignore stale updates",
        Scope.EVENTS_UPDATE,
        request=EventPatch,
        responses={
            200: ("Updated, or a replay of the same Idempotency-Key", EventView),
            202: ("Accepted and durable; poll Location", EventAccepted),
        },
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
        params=(_EVENT_ID, *_CREATE_PARAMS),
        response_headers={200: _LOCATION, 202: _LOCATION},
    ),
    *(
        Operation(
            "POST",
            f"{BASE}/events/{{eventId}}/{action}",
            f"{action}Event",
            summary,
            Scope.EVENTS_UPDATE,
            responses={
                200: ("Done, or a replay of the same Idempotency-Key", EventView),
                202: ("Accepted and durable; poll Location", EventAccepted),
            },
            errors=(400, 401, 403, 404, 409, 429, 503),
            params=(_EVENT_ID, *_CREATE_PARAMS),
            response_headers={200: _LOCATION, 202: _LOCATION},
        )
        for action, summary in _STATUS_ACTIONS.items()
    ),
)

_ENDPOINTS: dict[str, Endpoint] = {
    "listChannels": list_channels,
    "listClassifications": list_classifications,
    "searchPlaces": search_places,
    "createEvent": create_event,
    "createEventBatch": create_event_batch,
    "listEvents": list_events,
    "getEvent": get_event,
    "updateEvent": update_event,
    **{f"{action}Event": _status_endpoint(action) for action in _STATUS_ACTIONS},
}


def public_routes() -> list[BaseRoute]:
    # The uuid convertor keeps `/events/batch` from being read as an event id.
    routes = routes_for(OPERATIONS, _ENDPOINTS, {"eventId": "uuid"})
    document = document_for(
        OPERATIONS,
        "Pinned Events Public API",
        "Publish approved event data into Pinned Events channels. "
        "Bearer API keys from server-side code only.",
    )
    return [*routes, openapi_route(OPENAPI_PATH, document)]
