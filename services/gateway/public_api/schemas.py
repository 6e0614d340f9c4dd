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
    """202: the command is durable in Kafka; poll `location` for the stored event."""

    id: uuid.UUID
    state: Literal["accepted"]
    location: str


class ItemError(ResponseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class BatchItemResult(ResponseModel):
    index: int
    status: Literal["accepted", "replayed", "invalid", "forbidden", "rejected", "unavailable"]
    id: uuid.UUID | None = None
    location: str | None = None
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
