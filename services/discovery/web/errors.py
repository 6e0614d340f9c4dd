"""The discovery service's errors and the one place they become responses: the API's error
envelope for JSON and feed routes, an HTML page for pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.discovery.web.event_refs import EventRefConvertor
from shared.adapters.failures import DEPENDENCY_DOWN
from shared.adapters.postgres import PoolExhausted
from shared.runtime.http_edge import PARAMETER_KINDS, mistyped_path_parameter

log = structlog.get_logger(__name__)


class PublicError(Exception):
    status = 400
    code = "bad_request"
    field_code = "invalid"  # the code of the one field `field` names

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        fields: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = dict(headers or {})
        self.fields = fields  # each {path, code, message}; for a body that does not validate


class InvalidParameter(PublicError):
    status, code = 400, "invalid_query_parameter"

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"Query parameter '{name}' {problem}.", field=name)
        self.problem = problem


class NotFound(PublicError):
    status, code = 404, "not_found"


class RateLimited(PublicError):
    status, code = 429, "rate_limited"

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(
            f"Too many requests from your address; retry after "
            f"{headers.get('Retry-After', 'a few')} seconds.",
            headers=headers,
        )


class Unauthenticated(PublicError):
    """No session, or one that is unknown, expired or revoked: the same answer for all."""

    status, code = 401, "unauthenticated"

    def __init__(self, message: str = "Sign in first: send `Authorization: Bearer <session "
                 "token>` (from POST /api/people/v1/sessions).") -> None:  # fmt: skip
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="people"'})


class Forbidden(PublicError):
    status, code = 403, "forbidden"


class WrongPassword(PublicError):
    """A signed-in person's password, asked again (deleting the account), is not theirs: the
    session stays valid, so not a 401."""

    status, code = 403, "wrong_password"

    def __init__(self) -> None:
        super().__init__("The password is wrong; the account is kept.", field="password")


class Conflict(PublicError):
    status = 409

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.code = self.field_code = code  # the field's own code too: email_taken


class InvalidBody(PublicError):
    status, code = 422, "validation_failed"

    def __init__(self, fields: list[dict[str, str]]) -> None:
        names = ", ".join(sorted({f["path"] for f in fields}))
        super().__init__(f"The request body is invalid; fix these fields: {names}.", fields=fields)


class MalformedJson(PublicError):
    """The body is not JSON the service reads; as the public API answers it."""

    status, code = 400, "malformed_json"


class PayloadTooLarge(PublicError):
    status, code = 413, "payload_too_large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The body is larger than the limit of {max_bytes} bytes.")


class UnsupportedMediaType(PublicError):
    status, code = 415, "unsupported_media_type"


class TooManyAttempts(PublicError):
    status, code = 429, "too_many_signin_attempts"

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class Unavailable(PublicError):
    status, code = 503, "service_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": "1"})


def wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/feeds/")) or path.endswith(".ics"))


def error_response(request: Request, error: PublicError) -> Response:
    request.state.error_code = error.code
    headers = error.headers  # the edge middleware adds the RateLimit headers
    if wants_html(request):
        page: Response = request.app.state.ctx.pages.error(request, error, headers)
        return page
    body: dict[str, Any] = {
        "error": {
            "code": error.code,
            "message": error.message,
            "requestId": getattr(request.state, "request_id", None),
        }
    }
    if error.fields:
        body["error"]["fields"] = error.fields
    elif error.field is not None:
        problem = getattr(error, "problem", error.message)
        body["error"]["fields"] = [
            {"path": error.field, "code": error.field_code, "message": problem}
        ]
    return JSONResponse(body, status_code=error.status, headers=headers)


async def _public(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PublicError)
    return error_response(request, exc)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = PublicError(f"{request.method} is not allowed on {request.url.path}.")
        error.status, error.code = 405, "method_not_allowed"
        return error_response(request, error)
    mistyped = mistyped_path_parameter(request.app.routes, request.url.path, _PARAMETER_KINDS)
    if mistyped is not None:  # `/me/saves/nonsense`: the id, named, not "nothing here"
        field = {"path": mistyped.path, "code": mistyped.code, "message": mistyped.message}
        found = NotFound(f"Nothing is published there: {mistyped.message}", fields=[field])
        return error_response(request, found)
    return error_response(request, NotFound(f"Nothing is published at {request.url.path}."))


_PARAMETER_KINDS = {
    **PARAMETER_KINDS,
    EventRefConvertor: (
        "invalid_event_id",
        "an event id (a UUID, or <uuid>_<YYYY-MM-DD> for one occurrence of a recurring event)",
    ),
}


async def _saturated(request: Request, exc: Exception) -> Response:
    return error_response(request, Unavailable("The service is busy; retry in a moment."))


async def _dependency_down(request: Request, exc: Exception) -> Response:
    """The database cannot be reached: 503 with Retry-After and one log line (as the gateway
    answers it), not a 500 with a traceback per request; /readyz says the same meanwhile."""
    log.warning(
        "dependency unreachable",
        request_id=_request_id(request),
        path=request.url.path,
        error=repr(exc),
    )
    return error_response(
        request, Unavailable("The service cannot reach its database right now; retry shortly.")
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Outside the edge middleware, whose context (the request id) is unbound by now.
    log.error("unhandled error", exc_info=exc, request_id=_request_id(request))
    error = PublicError(
        "Something went wrong on our side; retry later and quote the request id if it persists."
    )
    error.status, error.code = 500, "internal_error"
    return error_response(request, error)


async def _store_refused_value(request: Request, exc: Exception) -> Response:
    """PostgreSQL refused a value the edge let through (the edge checks what the store
    refuses, so this is a gap to close): a stable code for the caller, the database's own
    text only in the log, with the request id. As the gateway answers it."""
    log.error(
        "store refused a request's value",
        request_id=_request_id(request),
        path=request.url.path,
        sqlstate=getattr(exc, "sqlstate", None),
        error=str(exc),
    )
    error = PublicError(
        "A value in the request cannot be stored or searched (text with NUL characters or "
        "invalid Unicode, a number or date out of range, or a value too long). Correct it and "
        "resend; quote the request id if you cannot find it."
    )
    error.status, error.code = 422, "store_refused"
    return error_response(request, error)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


EXCEPTION_HANDLERS = {
    PublicError: _public,
    asyncpg.DataError: _store_refused_value,
    asyncpg.IntegrityConstraintViolationError: _store_refused_value,
    asyncpg.ProgramLimitExceededError: _store_refused_value,
    **dict.fromkeys(DEPENDENCY_DOWN, _dependency_down),
    PoolExhausted: _saturated,
    TimeoutError: _saturated,
    HTTPException: _http,
    Exception: _unexpected,
}
