"""Request parsing helpers for the public API: JSON bodies, headers and pagination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from services.gateway.adapters.events import EventFilters
from services.gateway.context import GatewayRequest
from services.gateway.edge.operations import Param
from services.gateway.errors import (
    InvalidIdempotencyKey,
    InvalidQueryParameter,
    MalformedJson,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from shared.core.json_body import UndecodableJson, decode_json
from shared.core.numerals import ascii_digits
from shared.domain.events import LARGEST_CHANNEL_ID

M = TypeVar("M", bound=BaseModel)

MAX_IDEMPOTENCY_KEY_LENGTH = 255
DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100
# Keeps (page - 1) * limit far inside PostgreSQL's bigint OFFSET.
MAX_PAGE = 1_000_000
PAGE_PARAMS = (
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


async def read_json(request: GatewayRequest, max_bytes: int) -> Any:
    """The body decoded: `read_json_text`, then `decoded_json`."""
    return decoded_json(await read_json_text(request, max_bytes))


async def read_json_text(request: GatewayRequest, max_bytes: int) -> bytes:
    """The body as sent, not yet decoded; 415 unless it is declared JSON, 413 past
    `max_bytes` (read no further)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(
            f"Send the body as JSON with 'Content-Type: application/json' (got "
            f"'{content_type or 'none'}')."
        )
    declared = request.headers.get("content-length")
    if declared is not None and ascii_digits(declared) and int(declared) > max_bytes:
        raise PayloadTooLarge("body", max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge("body", max_bytes)
    return bytes(body)


def decoded_json(raw: bytes) -> Any:
    """`raw` decoded (shared/core/json_body.py); 400 malformed_json saying why it is not."""
    try:
        return decode_json(raw)
    except UndecodableJson as exc:
        raise MalformedJson(f"The body is not JSON this API accepts: {exc}.") from None


async def read_optional_json(request: GatewayRequest, max_bytes: int) -> Any:
    """Like read_json, but a request with no body at all means `{}` (every field default)."""
    no_body_sent = "content-type" not in request.headers and (
        request.headers.get("content-length", "0") == "0"
    )
    if no_body_sent and not await request.body():
        return {}
    return await read_json(request, max_bytes)


def idempotency_key(request: GatewayRequest) -> str | None:
    """The Idempotency-Key header, quoted (structured-field string) or bare; sent twice, it is
    refused rather than one of the two taken."""
    sent = request.headers.getlist("idempotency-key")
    if not sent:
        return None
    if len(sent) > 1:
        raise InvalidIdempotencyKey(MAX_IDEMPOTENCY_KEY_LENGTH, repeated=True)
    raw = sent[0]
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > MAX_IDEMPOTENCY_KEY_LENGTH or not value.isprintable():
        raise InvalidIdempotencyKey(MAX_IDEMPOTENCY_KEY_LENGTH)
    # A header's bytes past ASCII are read as Latin-1 here, and clients send `ü` as UTF-8
    # (curl, Node) or as Latin-1 (Python's http.client): one key would make two events.
    if not value.isascii():
        raise InvalidIdempotencyKey(MAX_IDEMPOTENCY_KEY_LENGTH, non_ascii=True)
    return value


def prefers_async(request: GatewayRequest) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(p.strip().lower() == "respond-async" for p in prefer.split(","))


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_request(request: GatewayRequest) -> PageRequest:
    page = positive_int(request, "page", 1, maximum=MAX_PAGE)
    limit = positive_int(request, "limit", DEFAULT_PAGE_LIMIT, maximum=MAX_PAGE_LIMIT)
    return PageRequest(page, limit)


def positive_int(request: GatewayRequest, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not ascii_digits(raw) or not 1 <= int(raw) <= maximum:
        raise InvalidQueryParameter(name, f"must be a whole number from 1 and at most {maximum}")
    return int(raw)


EVENT_STATUSES = ("draft", "published", "cancelled")


def event_filters(request: GatewayRequest) -> EventFilters:
    status = request.query_params.get("status")
    if status is not None and status not in EVENT_STATUSES:
        raise InvalidQueryParameter("status", f"must be one of {', '.join(EVENT_STATUSES)}")
    channel = request.query_params.get("channelId")
    if channel is not None and not (
        ascii_digits(channel) and 0 < int(channel) <= LARGEST_CHANNEL_ID
    ):
        raise InvalidQueryParameter("channelId", "must be a channel id (a positive whole number)")
    return EventFilters(
        channel_id=int(channel) if channel is not None else None,
        status=status,
        starts_after=datetime_param(request, "startsAfter"),
        starts_before=datetime_param(request, "startsBefore"),
        updated_since=datetime_param(request, "updatedSince"),
    )


def datetime_param(request: GatewayRequest, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidQueryParameter(name, "must be an ISO 8601 date-time with an offset")
    return value


def page_body(docs: list[dict[str, Any]], total: int, page: PageRequest) -> dict[str, Any]:
    """The docs' pagination fields, named exactly as they name them."""
    total_pages = max(1, -(-total // page.limit))
    has_next = page.page < total_pages
    has_prev = page.page > 1
    return {
        "docs": docs,
        "page": page.page,
        "limit": page.limit,
        "totalDocs": total,
        "totalPages": total_pages,
        "hasNextPage": has_next,
        "hasPrevPage": has_prev,
        "nextPage": page.page + 1 if has_next else None,
        # Past the end, the way back is the last page, not the one before this empty one.
        "prevPage": min(page.page - 1, total_pages) if has_prev else None,
    }
