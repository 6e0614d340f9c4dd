"""Response shapes of the public API, for the OpenAPI document and conformance tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.event_view import EventView
from shared.domain.places import Place


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channel(_Response):
    id: int
    name: str
    role: Literal["owner", "member"]
    createdAt: datetime


class _PageFields(_Response):
    """The docs' pagination fields, named exactly as they name them."""

    page: int
    limit: int
    totalDocs: int
    totalPages: int
    hasNextPage: bool
    hasPrevPage: bool
    nextPage: int | None
    prevPage: int | None


class ChannelPage(_PageFields):
    docs: list[Channel]


class EventPage(_PageFields):
    docs: list[EventView]


class EventAccepted(_Response):
    """202: the command is durable in Kafka; poll `location` for the stored event."""

    id: uuid.UUID
    state: Literal["accepted"]
    location: str


class FieldProblem(_Response):
    path: str
    code: str
    message: str


class ErrorBody(_Response):
    code: str
    message: str
    requestId: str | None
    fields: list[FieldProblem] | None = None


class ItemError(_Response):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class BatchItemResult(_Response):
    index: int
    status: Literal["accepted", "replayed", "invalid", "forbidden", "rejected", "unavailable"]
    id: uuid.UUID | None = None
    location: str | None = None
    error: ItemError | None = None


class BatchResult(_Response):
    """One result per item, in the order sent; counts by status for a quick check."""

    results: list[BatchItemResult]
    counts: dict[str, int]


class ErrorEnvelope(_Response):
    error: ErrorBody


class Classification(_Response):
    slug: str
    name: str


class ClassificationList(_Response):
    docs: list[Classification]


class PlacePage(_PageFields):
    docs: list[Place]
