"""The gateway's errors and the one place they become HTTP responses.

Every non-2xx uses one envelope:
    {"error": {"code", "message", "requestId", "fields": [{"path", "code", "message"}]}}
`code` is stable and machine-readable; `message` says what a person can do about it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.adapters import channels, integrations, key_store
from shared.adapters.postgres import PoolExhausted
from shared.domain.events import FieldError

log = structlog.get_logger(__name__)


class ApiError(Exception):
    """Base of every error the API answers on purpose."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = list(fields)
        self.headers = dict(headers or {})
        if code is not None:
            self.code = code


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class MalformedJson(ApiError):
    status, code = 400, "malformed_json"


class Unauthorized(ApiError):
    """Missing, malformed, unknown, revoked, disabled or expired key: one answer for all, so
    the response never tells an attacker which of these it was."""

    status, code = 401, "unauthorized"

    def __init__(self) -> None:
        super().__init__(
            "Missing or invalid API key. Send 'Authorization: Bearer pe_test_...' with a key "
            "that is active; revoked, disabled and expired keys are refused.",
            headers={"WWW-Authenticate": 'Bearer realm="pinned-events"'},
        )


class MissingScope(ApiError):
    status, code = 403, "missing_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This API key lacks the '{scope}' scope that this route requires.")


class ChannelForbidden(ApiError):
    status, code = 403, "channel_forbidden"

    def __init__(self, channel_id: int) -> None:
        super().__init__(
            f"Channel {channel_id} is not accessible to this key's owner. "
            "Call GET /api/public/v1/channels with the same key to list usable channels.",
            fields=[FieldError("channelId", "channel_forbidden", "channel not accessible")],
        )


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(ApiError):
    status, code = 422, "validation_failed"

    def __init__(self, fields: Sequence[FieldError]) -> None:
        paths = ", ".join(dict.fromkeys(f.path for f in fields))
        super().__init__(f"The request body is invalid; fix these fields: {paths}.", fields=fields)


class IdempotencyKeyReused(ApiError):
    status, code = 422, "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request body. Use a new "
            "key for a different request, or resend the original body to get its result.",
            fields=[FieldError("Idempotency-Key", "reused", "key used with another body")],
        )


class RateLimited(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(
            f"Too many requests; retry after {headers.get('Retry-After', 'a few')} seconds "
            "(see the RateLimit and RateLimit-Policy headers).",
            headers=headers,
        )


class RequestTimeout(ApiError):
    status, code = 408, "request_timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The request body did not arrive within {seconds:g} s; send it in one go.",
            headers={"Connection": "close"},
        )


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"

    def __init__(self, message: str, retry_after_seconds: int = 5, code: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)}, code=code)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_response(request: Request, error: ApiError) -> Response:
    return envelope_response(
        request, error.status, error.code, error.message, error.fields, error.headers
    )


def envelope_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "error": {
            "code": code,
            "message": message,
            "requestId": getattr(request.state, "request_id", None),
        }
    }
    if fields:
        body["error"]["fields"] = [
            {"path": f.path, "code": f.code, "message": f.message} for f in fields
        ]
    request.state.error_code = code
    # Rate-limit headers are part of every answer once a request was counted, errors too.
    rate_limit_headers = getattr(request.state, "rate_limit_headers", {})
    return JSONResponse(body, status_code=status, headers={**rate_limit_headers, **(headers or {})})


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = {
        404: f"No route matches {request.method} {request.url.path}.",
        405: f"{request.method} is not allowed on {request.url.path}.",
    }.get(exc.status_code, str(exc.detail))
    return envelope_response(request, exc.status_code, code, message, headers=exc.headers)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return envelope_response(
        request,
        500,
        "internal_error",
        "Something went wrong on our side; retry later and quote the request id if it persists.",
    )


async def handle_pool_exhausted(request: Request, exc: Exception) -> Response:
    return error_response(
        request,
        ServiceUnavailable(
            "The service is saturated (no database connection came free in time); retry "
            "after the Retry-After delay.",
            retry_after_seconds=1,
        ),
    )


async def handle_store_error(request: Request, exc: Exception) -> Response:
    """The developer API's stores say what went wrong in their own terms; one place turns
    that into the envelope, so no endpoint needs its own try/except."""
    if isinstance(exc, key_store.KeyStateConflict):
        return error_response(request, Conflict(str(exc), code="key_state_conflict"))
    if isinstance(exc, channels.SlugTaken):
        problem = FieldError("slug", "slug_taken", str(exc))
        return error_response(request, Conflict(str(exc), code="slug_taken", fields=[problem]))
    names: dict[type[Exception], str] = {
        key_store.KeyNotFound: "API key",
        channels.ChannelNotFound: "channel",
    }
    what = names.get(type(exc), "integration")
    return error_response(request, NotFound(f"No {what} with that id belongs to this account."))


async def handle_timeout(request: Request, exc: Exception) -> Response:
    """A database statement past DATABASE_COMMAND_TIMEOUT_SECONDS: the database is slow or
    a row is locked; the caller may retry, it is not a fault of the request."""
    log.warning("dependency timed out", path=request.url.path)
    return error_response(
        request,
        ServiceUnavailable(
            "A dependency did not answer in time; retry after the Retry-After delay.",
            retry_after_seconds=1,
        ),
    )


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    PoolExhausted: handle_pool_exhausted,
    TimeoutError: handle_timeout,
    key_store.KeyNotFound: handle_store_error,
    key_store.KeyStateConflict: handle_store_error,
    integrations.IntegrationNotFound: handle_store_error,
    channels.ChannelNotFound: handle_store_error,
    channels.SlugTaken: handle_store_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
