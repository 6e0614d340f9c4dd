"""The public API v1, one row per route: the router, the guard and the OpenAPI document are
all built from `OPERATIONS` (with the webhook route's row, by the composition root)."""

from __future__ import annotations

from services.gateway.access.quotas import EVENTS_CREATE
from services.gateway.edge.http_io import EVENT_STATUSES, MAX_IDEMPOTENCY_KEY_LENGTH, PAGE_PARAMS
from services.gateway.edge.operations import OpenOperation, Operation, Param, Row
from services.gateway.edge.routing import Document
from services.gateway.public_api import endpoints as api
from services.gateway.public_api import operations
from services.gateway.public_api.endpoints import BASE, MAX_PLACE_QUERY
from services.gateway.public_api.schemas import (
    BatchResult,
    ChannelPage,
    ClassificationList,
    EventAccepted,
    EventPage,
    OperationStatus,
    PlacePage,
)
from services.gateway.submission.batch_model import EventBatch
from shared.contracts.event_view import EventView
from shared.contracts.messages import StatusAction
from shared.domain.api_keys import Scope
from shared.domain.events import EventInput, EventPatch
from shared.domain.occurrences import OccurrenceChange

OPENAPI_PATH = "/api/developer/openapi/public-api-v1"

_STORED = ("Location",)
_ACCEPTED = ("Location", "Operation-Location")
_REPLAYABLE = ("Location", "Idempotent-Replayed")
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

_OPERATION_ID = Param(
    "operationId", "path", {"type": "string", "pattern": "^op_[A-Za-z0-9_-]+$"}, "Operation id"
)
_DATE_TIME = {"type": "string", "format": "date-time"}
_EVENT_ID = Param("eventId", "path", {"type": "string", "format": "uuid"}, "Event id")
_OCCURRENCE_START = Param(
    "start",
    "path",
    {"type": "string", "examples": ["2027-03-09", "2027-03-09T19:00:00+01:00"]},
    "The occurrence's original start: its local date, or the instant (ISO 8601 with offset, "
    "or RFC 5545 basic UTC such as 20270309T180000Z)",
)
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

# Admission control judges this one by a target of its own (gateway AdmissionSettings).
BATCH_OPERATION_ID = "createEventBatch"

OPERATIONS: tuple[Row, ...] = (
    Operation(
        method="GET",
        path=f"{BASE}/channels",
        operation_id="listChannels",
        summary="List the channels this key's owner owns or is a member of",
        endpoint=api.list_channels,
        scope=Scope.CHANNELS_READ,
        responses={200: ("A page of channels", ChannelPage)},
        errors=(400, 401, 403, 429),
        params=PAGE_PARAMS,
    ),
    Operation(
        method="POST",
        path=f"{BASE}/events",
        operation_id="createEvent",
        summary="Create a draft or published event",
        endpoint=api.create_event,
        scope=Scope.EVENTS_CREATE,
        quota=EVENTS_CREATE,
        request=EventInput,
        responses={
            201: ("Created and stored", EventView),
            200: (
                "Updated (same sourceId in the channel), or a replay of the same Idempotency-Key",
                EventView,
            ),
            202: ("Accepted and durable; Operation-Location answers its fate", EventAccepted),
        },
        errors=(400, 401, 403, 409, 413, 415, 422, 429, 503),
        params=_CREATE_PARAMS,
        response_headers={201: _STORED, 200: _REPLAYABLE, 202: _ACCEPTED},
    ),
    OpenOperation(
        method="GET",
        path=f"{BASE}/classifications",
        operation_id="listClassifications",
        summary="The classification slugs an event may carry (public reference data)",
        endpoint=api.list_classifications,
        quota="ip",
        responses={200: ("Every known slug", ClassificationList)},
    ),
    OpenOperation(
        method="GET",
        path=f"{BASE}/places",
        operation_id="searchPlaces",
        summary="Search the place catalogue for approxLocation.city (public reference data)",
        endpoint=api.search_places,
        quota="ip",  # a search costs 20-30 ms: a flood from one address would slow the rest
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
                {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                "Only this country (ISO 3166-1 alpha-2, either case)",
            ),
            *PAGE_PARAMS,
        ),
    ),
    Operation(
        method="POST",
        path=f"{BASE}/events/batch",
        operation_id=BATCH_OPERATION_ID,
        summary="Create up to 500 events at once; one result per item, partial success allowed",
        endpoint=api.create_event_batch,
        scope=Scope.EVENTS_CREATE,
        quota=EVENTS_CREATE,
        request=EventBatch,
        responses={200: ("One result per item, in order", BatchResult)},
        errors=(400, 401, 403, 413, 415, 422, 429, 503),
    ),
    Operation(
        method="GET",
        path=f"{BASE}/events",
        operation_id="listEvents",
        summary="List events in channels this key's owner can access, soonest first",
        endpoint=api.list_events,
        scope=Scope.EVENTS_READ,
        responses={200: ("A page of events", EventPage)},
        errors=(400, 401, 403, 429),
        params=(*PAGE_PARAMS, *_EVENT_FILTERS),
    ),
    Operation(
        method="GET",
        path=f"{BASE}/events/{{eventId}}",
        operation_id="getEvent",
        summary="Read one event",
        endpoint=api.get_event,
        scope=Scope.EVENTS_READ,
        responses={200: ("The event", EventView)},
        errors=(401, 403, 404, 429),
        params=(_EVENT_ID,),
    ),
    Operation(
        method="PATCH",
        path=f"{BASE}/events/{{eventId}}",
        operation_id="updateEvent",
        summary="Change some fields of an event; send sourceUpdatedAt to ignore stale updates",
        endpoint=api.update_event,
        scope=Scope.EVENTS_UPDATE,
        request=EventPatch,
        responses={
            200: ("Updated, or a replay of the same Idempotency-Key", EventView),
            202: ("Accepted and durable; Operation-Location answers its fate", EventAccepted),
        },
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
        params=(_EVENT_ID, *_CREATE_PARAMS),
        response_headers={200: _REPLAYABLE, 202: _ACCEPTED},
    ),
    Operation(
        method="GET",
        path=f"{BASE}/operations/{{operationId}}",
        operation_id="getOperation",
        summary="The fate of an accepted command: accepted, then applied or rejected",
        endpoint=operations.get_operation,
        scope=Scope.EVENTS_CREATE,
        # A webhook delivery's 202 names one too: its owner reads it with the managing key.
        also_scopes=(Scope.EVENTS_UPDATE, Scope.INTEGRATIONS_MANAGE),
        responses={200: ("The operation; while accepted, poll after Retry-After", OperationStatus)},
        errors=(401, 403, 404, 429),
        params=(_OPERATION_ID,),
        response_headers={200: ("Retry-After",)},
    ),
    Operation(
        method="PATCH",
        path=f"{BASE}/events/{{eventId}}/occurrences/{{start}}",
        operation_id="updateOccurrence",
        summary="Move or cancel one occurrence of a recurring event on its own; the series "
        "keeps it",
        endpoint=api.update_occurrence,
        scope=Scope.EVENTS_UPDATE,
        request=OccurrenceChange,
        responses={
            200: ("Updated (the event, with occurrenceOverrides), or a replay", EventView),
            202: ("Accepted and durable; Operation-Location answers its fate", EventAccepted),
        },
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
        params=(_EVENT_ID, _OCCURRENCE_START, *_CREATE_PARAMS),
        response_headers={200: _REPLAYABLE, 202: _ACCEPTED},
    ),
    *(
        Operation(
            method="POST",
            path=f"{BASE}/events/{{eventId}}/{action}",
            operation_id=f"{action}Event",
            summary=summary,
            endpoint=api.change_status(action),
            scope=Scope.EVENTS_UPDATE,
            responses={
                200: ("Done, or a replay of the same Idempotency-Key", EventView),
                202: ("Accepted and durable; Operation-Location answers its fate", EventAccepted),
            },
            errors=(400, 401, 403, 404, 409, 429, 503),
            params=(_EVENT_ID, *_CREATE_PARAMS),
            response_headers={200: _REPLAYABLE, 202: _ACCEPTED},
        )
        for action, summary in _STATUS_ACTIONS.items()
    ),
)


DOCUMENT = Document(
    OPENAPI_PATH,
    "Pinned Events Public API",
    "Publish approved event data into Pinned Events channels. Bearer API keys from "
    "server-side code only; CMS and CRM senders deliver to the webhook route.",
    base=BASE,
    authentication="Authorization: Bearer <API key> (pe_test_... or pe_live_...), from "
    "server-side code only; GET /classifications and /places need none; webhook deliveries "
    "are verified by their sender's signature or secret instead",
)
