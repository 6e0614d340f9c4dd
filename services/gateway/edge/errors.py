"""The one place refusals become HTTP answers.

Every non-2xx uses one envelope:
    {"error": {"code", "message", "requestId", "fields": [{"path", "code", "message"}]}}
`code` is stable and machine-readable; `message` says what a person can do about it. Each
kind of `GatewayError` is one status here; errors of the shared adapters, of the database pool
and of Starlette's router are translated here too, so no endpoint needs a try/except.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import structlog
from aiokafka.errors import KafkaError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.gateway import errors
from services.gateway.context import exchange_of
from shared.adapters import channels, integrations, key_store
from shared.adapters.failures import DEPENDENCY_DOWN
from shared.adapters.postgres import PoolExhausted
from shared.domain.events import FieldError
from shared.runtime.http_edge import mistyped_path_parameter

log = structlog.get_logger(__name__)

STATUSES: dict[type[errors.GatewayError], int] = {
    errors.BodyTimeout: 408,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.MalformedRequest: 400,
    errors.NotAuthenticated: 401,
    errors.NotAllowed: 403,
    errors.NotFound: 404,
    errors.StateConflict: 409,
    errors.Unprocessable: 422,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


def status_of(error: errors.GatewayError) -> int:
    """The status of the nearest kind of `error` in its class hierarchy."""
    return next(STATUSES[kind] for kind in type(error).__mro__ if kind in STATUSES)


def _headers_of(error: errors.GatewayError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(error, errors.NotAuthenticated) and not isinstance(
        error, errors.WebhookUnverified
    ):
        headers["WWW-Authenticate"] = 'Bearer realm="pinned-events"'
    if isinstance(error, errors.BodyTimeout):
        headers["Connection"] = "close"
    if isinstance(error, errors.RateLimited):
        headers.update(error.quota_headers)
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    return headers


def error_response(request: Request, error: errors.GatewayError) -> Response:
    return envelope_response(
        request, status_of(error), error.code, error.message, error.fields, _headers_of(error)
    )


def envelope_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    exchange = exchange_of(request)
    body: dict[str, Any] = {
        "error": {"code": code, "message": message, "requestId": exchange.request_id}
    }
    if fields:
        body["error"]["fields"] = [
            {"path": f.path, "code": f.code, "message": f.message} for f in fields
        ]
    exchange.error_code = code
    # Rate-limit headers are part of every answer once a request was counted, errors too.
    return JSONResponse(
        body, status_code=status, headers={**exchange.quota_headers, **(headers or {})}
    )


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.GatewayError)
    return error_response(request, exc)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = {
        404: ("not_found", f"No route matches {request.method} {request.url.path}."),
        405: ("method_not_allowed", f"{request.method} is not allowed on {request.url.path}."),
    }.get(exc.status_code, ("http_error", str(exc.detail)))
    fields: list[FieldError] = []
    if exc.status_code == 404 and (
        mistyped := mistyped_path_parameter(request.app.routes, request.url.path)
    ):
        fields, message = [mistyped], f"No route matches: {mistyped.message}"
    return envelope_response(request, exc.status_code, code, message, fields, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Outside the edge's observer, whose context (the request id) is unbound by now.
    log.error("unhandled error", exc_info=exc, request_id=exchange_of(request).request_id)
    return envelope_response(
        request,
        500,
        "internal_error",
        "Something went wrong on our side; retry later and quote the request id if it persists.",
    )


async def _store_refused_value(request: Request, exc: Exception) -> Response:
    """PostgreSQL refused a value the edge let through (the edge checks everything the store
    does, so this is a gap to close): a stable code and a message for the caller, the
    database's own text only in the log, with the request id."""
    log.error(
        "store refused a request's value",
        request_id=exchange_of(request).request_id,
        path=request.url.path,
        sqlstate=getattr(exc, "sqlstate", None),
        error=str(exc),
    )
    return envelope_response(
        request,
        422,
        "store_refused",
        "A value in the request cannot be stored (text with NUL characters or invalid "
        "Unicode, a number or date out of range, or a value too long). Correct it and resend; "
        "quote the request id if you cannot find it.",
    )


async def _pool_exhausted(request: Request, exc: Exception) -> Response:
    return error_response(
        request,
        errors.Unavailable(
            "The service is saturated (no database connection came free in time); retry "
            "after the Retry-After delay.",
            retry_after_seconds=1,
        ),
    )


async def _dependency_down(request: Request, exc: Exception) -> Response:
    """The database (or, outside the send path, Kafka) cannot be reached: the request did
    nothing, the client may retry; /readyz says the same meanwhile."""
    log.warning(
        "dependency unreachable",
        request_id=exchange_of(request).request_id,
        path=request.url.path,
        error=repr(exc),
    )
    which = "event log" if isinstance(exc, KafkaError) else "database"
    return error_response(
        request,
        errors.Unavailable(
            f"The service cannot reach its {which} right now, so nothing was done; retry "
            "after the Retry-After delay (with the same Idempotency-Key, if it had one)."
        ),
    )


async def _timed_out(request: Request, exc: Exception) -> Response:
    """A database statement past DATABASE_COMMAND_TIMEOUT_SECONDS: the database is slow or
    a row is locked; the caller may retry, it is not a fault of the request."""
    log.warning("dependency timed out", path=request.url.path)
    return error_response(
        request,
        errors.Unavailable(
            "A dependency did not answer in time; retry after the Retry-After delay.",
            retry_after_seconds=1,
        ),
    )


async def _store_refused(request: Request, exc: Exception) -> Response:
    """The shared stores (also the `pinned` CLI's) say what went wrong in their own terms."""
    if isinstance(exc, key_store.KeyStateConflict):
        return error_response(request, errors.KeyStateConflict(str(exc)))
    if isinstance(exc, channels.SlugTaken):
        return error_response(request, errors.SlugTaken(str(exc)))
    names: dict[type[Exception], str] = {
        key_store.KeyNotFound: "API key",
        channels.ChannelNotFound: "channel",
        integrations.DeliveryNotFound: "delivery",
    }
    return error_response(request, errors.NotOwned(names.get(type(exc), "integration")))


EXCEPTION_HANDLERS = {
    errors.GatewayError: _refused,
    **dict.fromkeys(DEPENDENCY_DOWN, _dependency_down),
    PoolExhausted: _pool_exhausted,
    TimeoutError: _timed_out,
    key_store.KeyNotFound: _store_refused,
    key_store.KeyStateConflict: _store_refused,
    integrations.IntegrationNotFound: _store_refused,
    channels.ChannelNotFound: _store_refused,
    channels.SlugTaken: _store_refused,
    asyncpg.DataError: _store_refused_value,
    asyncpg.IntegrityConstraintViolationError: _store_refused_value,
    asyncpg.ProgramLimitExceededError: _store_refused_value,
    HTTPException: _http_exception,
    Exception: _unexpected,
}
