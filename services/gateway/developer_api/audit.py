"""Developer API: what an owner's keys did. Usage per key (per day, route and status) and an
audit query over requests and key lifecycle changes. Secrets never appear, only prefixes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.edge.guard import Endpoint, requires
from services.gateway.edge.http_io import (
    PAGE_PARAMS,
    bad_query,
    datetime_param,
    page_body,
    page_request,
    positive_int,
)
from services.gateway.edge.openapi import Operation, Param
from services.gateway.public_api.schemas import _PageFields, _Response
from shared.adapters import key_store
from shared.domain.api_keys import Scope

AUDIT_PATH = "/api/developer/v1/audit"
USAGE_PATH = "/api/developer/v1/keys/{keyId}/usage"
MAX_USAGE_DAYS = 90

_USAGE_BY_DAY = """
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS requests,
       count(*) FILTER (WHERE status >= 400) AS errors
FROM audit_log WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $2)
GROUP BY 1 ORDER BY 1
"""
_USAGE_BY_ROUTE = """
SELECT method, route, count(*) AS requests FROM audit_log
WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $2)
GROUP BY 1, 2 ORDER BY 3 DESC, 2, 1
"""
_USAGE_BY_STATUS = """
SELECT status, count(*) AS requests FROM audit_log
WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $2)
GROUP BY 1 ORDER BY 1
"""
# Requests and key changes in one timeline. Filters that only requests have (route, status,
# request id) leave key changes out; `$8` says whether they are wanted at all.
_AUDIT = """
WITH entries AS (
    SELECT 'request' AS type, occurred_at, request_id, method, route, path, status,
           duration_seconds, host(client_ip) AS client_ip, api_key_id AS key_id, key_prefix,
           error_code, NULL::text AS actor, NULL::text AS reason
    FROM audit_log
    WHERE owner_account_id = $1 AND $9
      AND ($2::uuid IS NULL OR api_key_id = $2)
      AND ($3::timestamptz IS NULL OR occurred_at >= $3)
      AND ($4::timestamptz IS NULL OR occurred_at < $4)
      AND ($5::text IS NULL OR route = $5)
      AND ($6::int IS NULL OR status = $6)
      AND ($7::text IS NULL OR request_id = $7)
    UNION ALL
    SELECT 'key.' || e.action, e.occurred_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           e.key_id, k.prefix, NULL, e.actor, e.reason
    FROM key_events e JOIN api_keys k ON k.id = e.key_id
    WHERE e.account_id = $1 AND $8
      AND ($2::uuid IS NULL OR e.key_id = $2)
      AND ($3::timestamptz IS NULL OR e.occurred_at >= $3)
      AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
)
SELECT *, count(*) OVER () AS total FROM entries
ORDER BY occurred_at DESC, request_id NULLS LAST LIMIT $10 OFFSET $11
"""


class DayUsage(_Response):
    day: date
    requests: int
    errors: int = Field(description="Answers with status 400 or above")


class RouteUsage(_Response):
    method: str
    route: str = Field(description="Route template, e.g. /api/public/v1/events/{eventId}")
    requests: int


class StatusUsage(_Response):
    status: int
    requests: int


class KeyUsage(_Response):
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


class AuditEntry(_Response):
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


class AuditPage(_PageFields):
    docs: list[AuditEntry]


def _auditing(endpoint: Any) -> Endpoint:
    return requires(Scope.AUDIT_READ, route_limit="key_management", limit_by="owner")(endpoint)


@_auditing
async def key_usage(request: Request, principal: Principal) -> Response:
    key_id: uuid.UUID = request.path_params["keyId"]
    days = positive_int(request, "days", 30, maximum=MAX_USAGE_DAYS)
    async with request.app.state.ctx.pool.acquire() as conn:
        key = await key_store.get(conn, principal.owner_id, key_id)
        by_day = await conn.fetch(_USAGE_BY_DAY, key_id, days)
        by_route = await conn.fetch(_USAGE_BY_ROUTE, key_id, days)
        by_status = await conn.fetch(_USAGE_BY_STATUS, key_id, days)
    usage = KeyUsage(
        keyId=key["id"],
        prefix=key["prefix"],
        days=days,
        lastUsedAt=key["last_used_at"],
        lastUsedIp=key["last_used_ip"],
        requestCount=key["request_count"],
        byDay=[DayUsage(**dict(r)) for r in by_day],
        byRoute=[RouteUsage(**dict(r)) for r in by_route],
        byStatus=[StatusUsage(**dict(r)) for r in by_status],
    )
    return JSONResponse(usage.model_dump(mode="json"))


@_auditing
async def audit_log(request: Request, principal: Principal) -> Response:
    page = page_request(request)
    query = request.query_params
    key_id = _uuid_param(query.get("keyId"))
    status = query.get("status")
    if status is not None and not (status.isdigit() and 100 <= int(status) <= 599):
        raise bad_query("status", "must be an HTTP status code, 100-599")
    kind = query.get("type")
    if kind not in (None, "request", "key"):
        raise bad_query("type", "must be 'request' or 'key'")
    request_only = any(query.get(n) is not None for n in ("route", "status", "requestId"))
    async with request.app.state.ctx.pool.acquire() as conn:
        rows = await conn.fetch(
            _AUDIT,
            principal.owner_id,
            key_id,
            datetime_param(request, "from"),
            datetime_param(request, "to"),
            query.get("route"),
            int(status) if status is not None else None,
            query.get("requestId"),
            kind != "request" and not request_only,
            kind != "key",
            page.limit,
            page.offset,
        )
    total = rows[0]["total"] if rows else 0
    return JSONResponse(page_body([_entry(r) for r in rows], total, page))


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
        raise bad_query("keyId", "must be a key id (a UUID)") from None


_DATE_TIME = {"type": "string", "format": "date-time"}
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        USAGE_PATH,
        "getKeyUsage",
        "A key's requests per day, per route and per status, and when and where it was last used",
        Scope.AUDIT_READ,
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
        "GET",
        AUDIT_PATH,
        "queryAudit",
        "The account's requests and key changes, newest first (no secrets, only key prefixes)",
        Scope.AUDIT_READ,
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

ENDPOINTS: dict[str, Endpoint] = {"getKeyUsage": key_usage, "queryAudit": audit_log}
