"""Response shapes of the public API, for the OpenAPI document and conformance tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from services.gateway.edge.schemas import FieldProblem, PageFields, ResponseModel
from shared.contracts.event_view import EventView
from shared.domain.places import Place


class Channel(ResponseModel):
    id: int
    name: str
    role: Literal["owner", "member"]
    createdAt: datetime


class ChannelPage(PageFields):
    docs: list[Channel]


class EventPage(PageFields):
    docs: list[EventView]


class EventAccepted(ResponseModel):
    """202: the command is durable in Kafka; `operation` (also the Operation-Location header)
    answers its fate, `location` the event once it is stored."""

    id: uuid.UUID
    state: Literal["accepted"]
    location: str
    operationId: str
    operation: str


class OperationError(ResponseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class OperationStatus(ResponseModel):
    """An accepted command's fate. `accepted`: durable, not applied yet (poll after
    Retry-After); `applied`: `result` says how (created, updated, or a duplicate of an
    earlier command with its key) and `event` is the event as stored now (null if deleted
    since); `rejected`: `error` is what a waiting caller would have got. Both are final."""

    id: str
    kind: Literal["create_event", "update_event", "change_status", "update_occurrence"]
    status: Literal["accepted", "applied", "rejected"]
    eventId: uuid.UUID
    acceptedAt: datetime
    decidedAt: datetime | None
    result: Literal["created", "updated", "duplicate"] | None = None
    event: EventView | None = None
    error: OperationError | None = None


class ItemError(ResponseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class BatchItemResult(ResponseModel):
    index: int
    status: Literal["accepted", "replayed", "invalid", "forbidden", "rejected", "unavailable"]
    id: uuid.UUID | None = None
    location: str | None = None
    operationId: str | None = None
    operation: str | None = None
    error: ItemError | None = None


class BatchResult(ResponseModel):
    """One result per item, in the order sent; counts by status for a quick check."""

    results: list[BatchItemResult]
    counts: dict[str, int]


class Classification(ResponseModel):
    slug: str
    name: str


class ClassificationList(ResponseModel):
    docs: list[Classification]


class PlacePage(PageFields):
    docs: list[Place]
