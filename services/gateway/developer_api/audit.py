"""Developer API: what an owner's keys did. Usage per key (per day, route and status) and an
audit query over requests and key lifecycle changes. Secrets never appear, only prefixes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import KEY_MANAGEMENT
from services.gateway.adapters.audit import AuditQuery
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.http_io import (
    PAGE_PARAMS,
    datetime_param,
    page_body,
    page_request,
    positive_int,
)
from services.gateway.edge.operations import Operation, Param
from services.gateway.edge.schemas import PageFields, ResponseModel
from services.gateway.errors import InvalidQueryParameter
from shared.core.numerals import ascii_digits
from shared.domain.api_keys import Scope

AUDIT_PATH = "/api/developer/v1/audit"
USAGE_PATH = "/api/developer/v1/keys/{keyId}/usage"
MAX_USAGE_DAYS = 90


class DayUsage(ResponseModel):
    day: date
    requests: int
    errors: int = Field(description="Answers with status 400 or above")


class RouteUsage(ResponseModel):
    method: str
    route: str = Field(description="Route template, e.g. /api/public/v1/events/{eventId}")
    requests: int


class StatusUsage(ResponseModel):
    status: int
    requests: int


class KeyUsage(ResponseModel):
    keyId: uuid.UUID
    prefix: str
    days: int
    lastUsedAt: datetime | None
    lastUsedIp: str | None
    requestCount: int = Field(description="All requests since the key was created")
    byDay: list[DayUsage]
    byRoute: list[RouteUsage]
    byStatus: list[StatusUsage]


EntryType = Literal[
    "request", "key.created", "key.disabled", "key.enabled", "key.revoked", "key.rotated"
]


class AuditEntry(ResponseModel):
    type: EntryType
    occurredAt: datetime
    keyId: uuid.UUID | None
    keyPrefix: str | None
    requestId: str | None = None
    method: str | None = None
    route: str | None = None
    path: str | None = None
    status: int | None = None
    durationMs: float | None = None
    clientIp: str | None = None
    errorCode: str | None = None
    actor: str | None = Field(default=None, description="Who changed the key")
    reason: str | None = None


class AuditPage(PageFields):
    docs: list[AuditEntry]


async def key_usage(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    key_id: uuid.UUID = request.path_params["keyId"]
    days = positive_int(request, "days", 30, maximum=MAX_USAGE_DAYS)
    usage = await gateway.audit.key_usage(principal.owner_id, key_id, days)
    key = usage.key
    view = KeyUsage(
        keyId=key["id"],
        prefix=key["prefix"],
        days=days,
        lastUsedAt=key["last_used_at"],
        lastUsedIp=key["last_used_ip"],
        requestCount=key["request_count"],
        byDay=[DayUsage(**dict(r)) for r in usage.by_day],
        byRoute=[RouteUsage(**dict(r)) for r in usage.by_route],
        byStatus=[StatusUsage(**dict(r)) for r in usage.by_status],
    )
    return JSONResponse(view.model_dump(mode="json"))


async def audit_log(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    page = page_request(request)
    rows, total = await gateway.audit.entries(
        principal.owner_id, _audit_query(request), page.limit, page.offset
    )
    return JSONResponse(page_body([_entry(r) for r in rows], total, page))


def _audit_query(request: GatewayRequest) -> AuditQuery:
    query = request.query_params
    key_id = _uuid_param(query.get("keyId"))
    status = query.get("status")
    if status is not None and not (ascii_digits(status) and 100 <= int(status) <= 599):
        raise InvalidQueryParameter("status", "must be an HTTP status code, 100-599")
    kind = query.get("type")
    if kind not in (None, "request", "key"):
        raise InvalidQueryParameter("type", "must be 'request' or 'key'")
    return AuditQuery(
        key_id=key_id,
        since=datetime_param(request, "from"),
        until=datetime_param(request, "to"),
        route=query.get("route"),
        status=int(status) if status is not None else None,
        request_id=query.get("requestId"),
        kind=kind,
    )


def _entry(row: Any) -> dict[str, Any]:
    duration = row["duration_seconds"]
    return AuditEntry(
        type=row["type"],
        occurredAt=row["occurred_at"],
        keyId=row["key_id"],
        keyPrefix=row["key_prefix"],
        requestId=row["request_id"],
        method=row["method"],
        route=row["route"],
        path=row["path"],
        status=row["status"],
        durationMs=round(duration * 1000, 3) if duration is not None else None,
        clientIp=row["client_ip"],
        errorCode=row["error_code"],
        actor=row["actor"],
        reason=row["reason"],
    ).model_dump(mode="json", exclude_none=True)


def _uuid_param(raw: str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidQueryParameter("keyId", "must be a key id (a UUID)") from None


_DATE_TIME = {"type": "string", "format": "date-time"}
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        method="GET",
        path=USAGE_PATH,
        operation_id="getKeyUsage",
        summary="A key's requests per day, per route and per status, and when and where it "
        "was last used",
        endpoint=key_usage,
        scope=Scope.AUDIT_READ,
        quota=KEY_MANAGEMENT,
        responses={200: ("Usage over the last `days` days", KeyUsage)},
        errors=(400, 401, 403, 404, 429),
        params=(
            Param("keyId", "path", {"type": "string", "format": "uuid"}, "API key id"),
            Param(
                "days",
                "query",
                {"type": "integer", "minimum": 1, "maximum": MAX_USAGE_DAYS, "default": 30},
                "How far back",
            ),
        ),
    ),
    Operation(
        method="GET",
        path=AUDIT_PATH,
        operation_id="queryAudit",
        summary="The account's requests and key changes, newest first (no secrets, only key "
        "prefixes)",
        endpoint=audit_log,
        scope=Scope.AUDIT_READ,
        quota=KEY_MANAGEMENT,
        responses={200: ("A page of audit entries", AuditPage)},
        errors=(400, 401, 403, 429),
        params=(
            Param("keyId", "query", {"type": "string", "format": "uuid"}, "Only this key"),
            Param("from", "query", _DATE_TIME, "At or after this instant"),
            Param("to", "query", _DATE_TIME, "Before this instant"),
            Param("route", "query", {"type": "string"}, "Route template (requests only)"),
            Param(
                "status",
                "query",
                {"type": "integer", "minimum": 100, "maximum": 599},
                "HTTP status (requests only)",
            ),
            Param("requestId", "query", {"type": "string"}, "One request, as in X-Request-Id"),
            Param(
                "type",
                "query",
                {"type": "string", "enum": ["request", "key"]},
                "Only requests, or only key changes",
            ),
            *PAGE_PARAMS,
        ),
    ),
)
