"""The developer API v1: an account owner manages its API keys (and, composed in from
`developer_audit` and `developer_integrations`, reads usage and audit and manages webhook
integrations).

Authenticated with an owner key (scope `keys:manage`), which integrations never hold; key
management has its own quota per owner account on top of the per-key and per-IP limits.
Every change is recorded in the key's history with the owner key that made it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from services.gateway.access.auth import Principal
from services.gateway.developer_api import audit as audit_api
from services.gateway.developer_api import channels as channel_api
from services.gateway.developer_api import integrations as integration_api
from services.gateway.developer_api.schemas import (
    ApiKey,
    ApiKeyPage,
    KeyCreate,
    KeyHistory,
    KeyRevoke,
    KeyRotate,
    NewApiKey,
)
from services.gateway.edge.errors import ValidationFailed
from services.gateway.edge.guard import Endpoint, requires
from services.gateway.edge.http_io import (
    PAGE_PARAMS,
    page_body,
    page_request,
    read_json,
    read_optional_json,
)
from services.gateway.edge.openapi import Operation, Param
from services.gateway.edge.routing import document_for, openapi_route, routes_for
from shared.adapters import key_store
from shared.domain.api_keys import Scope
from shared.domain.events import field_errors

DEVELOPER_BASE = "/api/developer/v1"
DEVELOPER_OPENAPI_PATH = "/api/developer/openapi/developer-api-v1"

_M = TypeVar("_M", bound=BaseModel)
KeyChange = Callable[[asyncpg.Connection, Principal, uuid.UUID], Awaitable[dict[str, Any]]]


def _managing_keys(endpoint: Callable[[Request, Principal], Awaitable[Response]]) -> Endpoint:
    return requires(Scope.KEYS_MANAGE, route_limit="key_management", limit_by="owner")(endpoint)


@_managing_keys
async def list_keys(request: Request, principal: Principal) -> Response:
    page = page_request(request)
    async with request.app.state.ctx.pool.acquire() as conn:
        rows, total = await key_store.page(conn, principal.owner_id, page.limit, page.offset)
    return JSONResponse(page_body([key_view(r) for r in rows], total, page))


@_managing_keys
async def create_key(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    body = _validated(KeyCreate, await read_json(request, ctx.settings.max_body_bytes))
    async with ctx.pool.acquire() as conn:
        issued = await key_store.issue(
            conn,
            principal.owner_id,
            body.name,
            [Scope(s) for s in body.scopes],
            actor=_actor(principal),
            mode=body.mode,
            expires_at=body.expiresAt,
        )
    return _issued(issued)


@_managing_keys
async def get_key(request: Request, principal: Principal) -> Response:
    async with request.app.state.ctx.pool.acquire() as conn:
        row = await key_store.get(conn, principal.owner_id, _key_id(request))
    return JSONResponse(key_view(row))


@_managing_keys
async def key_history(request: Request, principal: Principal) -> Response:
    key_id = _key_id(request)
    async with request.app.state.ctx.pool.acquire() as conn:
        await key_store.get(conn, principal.owner_id, key_id)
        events = await key_store.lifecycle(conn, key_id)
    docs = [
        {
            "action": e["action"],
            "actor": e["actor"],
            "reason": e["reason"],
            "occurredAt": e["occurred_at"].isoformat(),
        }
        for e in events
    ]
    return JSONResponse({"docs": docs})


def _state_change(change: KeyChange) -> Endpoint:
    @_managing_keys
    async def endpoint(request: Request, principal: Principal) -> Response:
        ctx = request.app.state.ctx
        key_id = _key_id(request)
        async with ctx.pool.acquire() as conn:
            row = await change(conn, principal, key_id)
        ctx.access.key_changed(key_id)
        return JSONResponse(key_view(row))

    return endpoint


async def _disable(conn: asyncpg.Connection, who: Principal, key_id: uuid.UUID) -> dict[str, Any]:
    return await key_store.disable(conn, who.owner_id, key_id, _actor(who))


async def _enable(conn: asyncpg.Connection, who: Principal, key_id: uuid.UUID) -> dict[str, Any]:
    return await key_store.enable(conn, who.owner_id, key_id, _actor(who))


@_managing_keys
async def revoke_key(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    body = _validated(KeyRevoke, await read_json(request, ctx.settings.max_body_bytes))
    key_id = _key_id(request)
    async with ctx.pool.acquire() as conn:
        row = await key_store.revoke(
            conn, principal.owner_id, key_id, body.reason, _actor(principal)
        )
    ctx.access.key_changed(key_id)
    return JSONResponse(key_view(row))


@_managing_keys
async def rotate_key(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    body = _validated(KeyRotate, await read_optional_json(request, ctx.settings.max_body_bytes))
    overlap = timedelta(seconds=body.overlapSeconds)
    key_id = _key_id(request)
    async with ctx.pool.acquire() as conn:
        issued = await key_store.rotate(
            conn, principal.owner_id, key_id, overlap, _actor(principal)
        )
    ctx.access.key_changed(key_id)
    return _issued(issued)


def key_view(row: dict[str, Any]) -> dict[str, Any]:
    expired = row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC)
    return ApiKey(
        id=row["id"],
        name=row["name"],
        mode=row["mode"],
        prefix=row["prefix"],
        scopes=row["scopes"],
        status="expired" if row["status"] == "active" and expired else row["status"],
        expiresAt=row["expires_at"],
        createdAt=row["created_at"],
        revokedAt=row["revoked_at"],
        revokedReason=row["revoked_reason"],
        revokedBy=row["revoked_by"],
        lastUsedAt=row["last_used_at"],
        lastUsedIp=row["last_used_ip"],
        requestCount=row["request_count"],
    ).model_dump(mode="json")


def _issued(issued: key_store.IssuedKey) -> Response:
    body = {**key_view(issued.record), "secret": issued.token}
    location = f"{DEVELOPER_BASE}/keys/{issued.id}"
    # The secret must not sit in a shared cache or a browser's history of responses.
    headers = {"Location": location, "Cache-Control": "no-store"}
    return JSONResponse(body, status_code=201, headers=headers)


def _validated(model: type[_M], payload: object) -> _M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def _key_id(request: Request) -> uuid.UUID:
    key_id: uuid.UUID = request.path_params["keyId"]
    return key_id


def _actor(principal: Principal) -> str:
    return f"key:{principal.key_prefix}"


_KEY_ID = Param("keyId", "path", {"type": "string", "format": "uuid"}, "API key id")
_KEYS = f"{DEVELOPER_BASE}/keys"
_ONE_KEY = f"{_KEYS}/{{keyId}}"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        _KEYS,
        "listKeys",
        "List this account's API keys, with usage and revocation metadata; never a secret",
        Scope.KEYS_MANAGE,
        responses={200: ("A page of keys", ApiKeyPage)},
        errors=(400, 401, 403, 429),
        params=PAGE_PARAMS,
    ),
    Operation(
        "POST",
        _KEYS,
        "createKey",
        "Create an API key; the answer holds its secret, shown this once",
        Scope.KEYS_MANAGE,
        request=KeyCreate,
        responses={201: ("Created; store `secret` now", NewApiKey)},
        errors=(400, 401, 403, 413, 415, 422, 429),
    ),
    Operation(
        "GET",
        _ONE_KEY,
        "getKey",
        "Read one key",
        Scope.KEYS_MANAGE,
        responses={200: ("The key", ApiKey)},
        errors=(401, 403, 404, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        "GET",
        f"{_ONE_KEY}/history",
        "getKeyHistory",
        "Who created, disabled, enabled, rotated or revoked the key, when and why",
        Scope.KEYS_MANAGE,
        responses={200: ("Oldest first", KeyHistory)},
        errors=(401, 403, 404, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        "POST",
        f"{_ONE_KEY}/disable",
        "disableKey",
        "Stop a key at once, reversibly (enable brings it back with the same secret)",
        Scope.KEYS_MANAGE,
        responses={200: ("Disabled", ApiKey)},
        errors=(401, 403, 404, 409, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        "POST",
        f"{_ONE_KEY}/enable",
        "enableKey",
        "Let a disabled key work again",
        Scope.KEYS_MANAGE,
        responses={200: ("Active again", ApiKey)},
        errors=(401, 403, 404, 409, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        "POST",
        f"{_ONE_KEY}/revoke",
        "revokeKey",
        "Stop a key for good, with the reason recorded",
        Scope.KEYS_MANAGE,
        request=KeyRevoke,
        responses={200: ("Revoked", ApiKey)},
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        "POST",
        f"{_ONE_KEY}/rotate",
        "rotateKey",
        "A new key with the same name and scopes; the old one keeps working for the overlap",
        Scope.KEYS_MANAGE,
        request=KeyRotate,
        request_required=False,
        responses={201: ("The new key; store `secret` now", NewApiKey)},
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
        params=(_KEY_ID,),
    ),
)

_ENDPOINTS: dict[str, Endpoint] = {
    "listKeys": list_keys,
    "createKey": create_key,
    "getKey": get_key,
    "getKeyHistory": key_history,
    "disableKey": _state_change(_disable),
    "enableKey": _state_change(_enable),
    "revokeKey": revoke_key,
    "rotateKey": rotate_key,
}


ALL_OPERATIONS = (
    *OPERATIONS,
    *audit_api.OPERATIONS,
    *integration_api.OPERATIONS,
    *channel_api.OPERATIONS,
)


def developer_routes() -> list[BaseRoute]:
    routes = routes_for(
        ALL_OPERATIONS,
        {**_ENDPOINTS, **audit_api.ENDPOINTS, **integration_api.ENDPOINTS, **channel_api.ENDPOINTS},
        {"keyId": "uuid", "integrationId": "uuid", "channelId": "int"},
    )
    document = document_for(
        ALL_OPERATIONS,
        "Pinned Events Developer API",
        "Manage an account's API keys, webhook integrations and channel visibility, and read its "
        "audit trail. Authenticate with an owner key (scopes keys:manage, integrations:manage, "
        "audit:read, channels:manage); "
        "integration keys cannot call it.",
    )
    return [*routes, openapi_route(DEVELOPER_OPENAPI_PATH, document)]
