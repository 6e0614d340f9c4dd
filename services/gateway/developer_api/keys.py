"""The developer API v1's keys: an account owner manages its API keys.

Authenticated with an owner key (scope `keys:manage`), which integrations never hold; key
management has its own quota per owner account on top of the per-key and per-IP limits.
Every change is recorded in the key's history with the owner key that made it.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import KEY_MANAGEMENT
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.developer_api.schemas import ApiKey, ApiKeyPage, KeyHistory, NewApiKey
from services.gateway.edge.http_io import (
    PAGE_PARAMS,
    page_body,
    page_request,
    read_json,
    read_optional_json,
)
from services.gateway.edge.operations import Operation, Param
from services.gateway.management import keys as managed
from services.gateway.management.keys import KeyCreate, KeyRevoke, KeyRotate, key_status
from services.gateway.management.validation import validated
from shared.adapters import key_store
from shared.domain.api_keys import Scope

DEVELOPER_BASE = "/api/developer/v1"


async def list_keys(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    page = page_request(request)
    rows, total = await gateway.keys.page(principal.owner_id, page.limit, page.offset)
    return JSONResponse(page_body([key_view(r) for r in rows], total, page))


async def create_key(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    body = validated(KeyCreate, await read_json(request, gateway.settings.max_body_bytes))
    issued = await managed.create_key(gateway.keys, principal.owner_id, body, principal.actor)
    return _issued(issued)


async def get_key(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    return JSONResponse(key_view(await gateway.keys.get(principal.owner_id, _key_id(request))))


async def key_history(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    events = await gateway.keys.history(principal.owner_id, _key_id(request))
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


async def disable_key(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    row = await gateway.keys.disable(principal.owner_id, _key_id(request), principal.actor)
    return JSONResponse(key_view(row))


async def enable_key(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    row = await gateway.keys.enable(principal.owner_id, _key_id(request), principal.actor)
    return JSONResponse(key_view(row))


async def revoke_key(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    body = validated(KeyRevoke, await read_json(request, gateway.settings.max_body_bytes))
    key_id = _key_id(request)
    row = await gateway.keys.revoke(principal.owner_id, key_id, body.reason, principal.actor)
    return JSONResponse(key_view(row))


async def rotate_key(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    payload = await read_optional_json(request, gateway.settings.max_body_bytes)
    body = validated(KeyRotate, payload)
    issued = await managed.rotate_key(
        gateway.keys, principal.owner_id, _key_id(request), body, principal.actor
    )
    return _issued(issued)


def key_view(row: dict[str, Any]) -> dict[str, Any]:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        mode=row["mode"],
        prefix=row["prefix"],
        scopes=row["scopes"],
        status=key_status(row),
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


def _key_id(request: GatewayRequest) -> uuid.UUID:
    key_id: uuid.UUID = request.path_params["keyId"]
    return key_id


_KEY_ID = Param("keyId", "path", {"type": "string", "format": "uuid"}, "API key id")
_KEYS = f"{DEVELOPER_BASE}/keys"
_SECRET = ("Location", "Cache-Control")
_ONE_KEY = f"{_KEYS}/{{keyId}}"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        method="GET",
        path=_KEYS,
        operation_id="listKeys",
        summary="List this account's API keys, with usage and revocation metadata; never a secret",
        endpoint=list_keys,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("A page of keys", ApiKeyPage)},
        errors=(400, 401, 403, 429),
        params=PAGE_PARAMS,
    ),
    Operation(
        method="POST",
        path=_KEYS,
        operation_id="createKey",
        summary="Create an API key; the answer holds its secret, shown this once",
        endpoint=create_key,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=KeyCreate,
        responses={201: ("Created; store `secret` now", NewApiKey)},
        response_headers={201: _SECRET},
        errors=(400, 401, 403, 413, 415, 422, 429),
    ),
    Operation(
        method="GET",
        path=_ONE_KEY,
        operation_id="getKey",
        summary="Read one key",
        endpoint=get_key,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("The key", ApiKey)},
        errors=(401, 403, 404, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        method="GET",
        path=f"{_ONE_KEY}/history",
        operation_id="getKeyHistory",
        summary="Who created, disabled, enabled, rotated or revoked the key, when and why",
        endpoint=key_history,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("Oldest first", KeyHistory)},
        errors=(401, 403, 404, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        method="POST",
        path=f"{_ONE_KEY}/disable",
        operation_id="disableKey",
        summary="Stop a key at once, reversibly (enable brings it back with the same secret)",
        endpoint=disable_key,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("Disabled", ApiKey)},
        errors=(401, 403, 404, 409, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        method="POST",
        path=f"{_ONE_KEY}/enable",
        operation_id="enableKey",
        summary="Let a disabled key work again",
        endpoint=enable_key,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("Active again", ApiKey)},
        errors=(401, 403, 404, 409, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        method="POST",
        path=f"{_ONE_KEY}/revoke",
        operation_id="revokeKey",
        summary="Stop a key for good, with the reason recorded",
        endpoint=revoke_key,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=KeyRevoke,
        responses={200: ("Revoked", ApiKey)},
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
        params=(_KEY_ID,),
    ),
    Operation(
        method="POST",
        path=f"{_ONE_KEY}/rotate",
        operation_id="rotateKey",
        summary="A new key with the same name and scopes; the old one keeps working for the "
        "overlap",
        endpoint=rotate_key,
        scope=Scope.KEYS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=KeyRotate,
        request_required=False,
        responses={201: ("The new key; store `secret` now", NewApiKey)},
        response_headers={201: _SECRET},
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
        params=(_KEY_ID,),
    ),
)
