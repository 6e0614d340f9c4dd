"""Response shapes every API of the gateway shares: the error envelope and page fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PageFields(ResponseModel):
    """The docs' pagination fields, named exactly as they name them."""

    page: int
    limit: int
    totalDocs: int
    totalPages: int
    hasNextPage: bool
    hasPrevPage: bool
    nextPage: int | None
    prevPage: int | None


class FieldProblem(ResponseModel):
    path: str
    code: str
    message: str


class MappingNote(ResponseModel):
    """A value a webhook's mapping filled in, changed or left out without refusing the event:
    the event field (dotted), a stable code, and what to map to do without it."""

    path: str
    code: str
    message: str


class ErrorBody(ResponseModel):
    code: str
    message: str
    requestId: str | None
    fields: list[FieldProblem] | None = None


class ErrorEnvelope(ResponseModel):
    error: ErrorBody
