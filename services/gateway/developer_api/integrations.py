"""Developer API: an owner's webhook integrations and their recent deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.edge.errors import ChannelForbidden, ValidationFailed
from services.gateway.edge.guard import Endpoint, requires
from services.gateway.edge.http_io import (
    PAGE_PARAMS,
    page_body,
    page_request,
    read_json,
    read_optional_json,
)
from services.gateway.edge.openapi import Operation, Param
from services.gateway.public_api.schemas import FieldProblem, _PageFields, _Response
from services.gateway.webhooks.senders import SENDERS
from services.gateway.webhooks.senders import Delivery as SenderDelivery
from shared.adapters import integrations
from shared.adapters.integrations import (
    EventAction,
    IntegrationChange,
    IntegrationDefaults,
    IntegrationSpec,
    SecretRotation,
)
from shared.domain.api_keys import Scope

INTEGRATIONS_BASE = "/api/developer/v1/integrations"


class Integration(_Response):
    id: uuid.UUID
    name: str
    source: str
    channelId: int
    verification: Literal["signature", "token"]
    mapping: dict[str, str] = Field(description="Effective: the sender's defaults and yours")
    defaults: IntegrationDefaults
    actions: dict[str, EventAction] = Field(description="Effective sender action -> change")
    status: Literal["active", "disabled"]
    createdAt: datetime
    webhookPath: str = Field(description="Point the sender at this path on the gateway")
    previousSecretValidUntil: datetime | None = Field(
        description="After a rotation: until when the old secret is still accepted"
    )


class NewIntegration(Integration):
    secret: str = Field(description="Signing secret or token: shown this once")


class IntegrationPage(_PageFields):
    docs: list[Integration]


class Delivery(_Response):
    id: uuid.UUID
    requestId: str
    receivedAt: datetime
    senderAction: str | None
    documentId: str | None
    status: Literal[
        "accepted",
        "applied",
        "duplicate",
        "stale",
        "rejected",
        "ignored",
        "invalid",
        "unauthorized",
        "rate_limited",
    ]
    reasonCode: str | None
    reason: str | None
    fields: list[FieldProblem] | None
    eventId: uuid.UUID | None


class DeliveryPage(_PageFields):
    docs: list[Delivery]


def _managing(endpoint: Any) -> Endpoint:
    return requires(Scope.INTEGRATIONS_MANAGE, route_limit="key_management", limit_by="owner")(
        endpoint
    )


@_managing
async def create_integration(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    spec = _validated(await read_json(request, ctx.settings.max_body_bytes))
    await _check_channel(request, principal, spec.channelId)
    verification = spec.verification or integrations.VERIFICATIONS[spec.source][0]
    async with ctx.pool.acquire() as conn:
        row, secret = await integrations.create(
            conn,
            principal.owner_id,
            spec,
            verification,
            spec.mapping,
            spec.actions,
        )
    location = f"{INTEGRATIONS_BASE}/{row['id']}"
    return _with_secret(row, secret, status_code=201, headers={"Location": location})


@_managing
async def update_integration(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    payload = await read_json(request, ctx.settings.max_body_bytes)
    integration_id: uuid.UUID = request.path_params["integrationId"]
    async with ctx.pool.acquire() as conn, conn.transaction():
        # Locked: two concurrent PATCHes of different fields must both hold.
        stored = await integrations.get(conn, principal.owner_id, integration_id, for_update=True)
        try:
            spec = integrations.changed_spec(stored, payload)
        except integrations.InvalidIntegration as exc:
            raise ValidationFailed(exc.problems) from None
        if spec.channelId != stored["channel_id"]:
            await _check_channel(request, principal, spec.channelId)
        row = await integrations.update(conn, principal.owner_id, stored["id"], spec)
    return JSONResponse(integration_view(row))


@_managing
async def delete_integration(request: Request, principal: Principal) -> Response:
    integration_id: uuid.UUID = request.path_params["integrationId"]
    async with request.app.state.ctx.pool.acquire() as conn:
        await integrations.delete(conn, principal.owner_id, integration_id)
    return Response(status_code=204)


@_managing
async def rotate_integration_secret(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    payload = await read_optional_json(request, ctx.settings.max_body_bytes)
    try:
        rotation = integrations.validate_rotation(payload)
    except integrations.InvalidIntegration as exc:
        raise ValidationFailed(exc.problems) from None
    integration_id: uuid.UUID = request.path_params["integrationId"]
    async with ctx.pool.acquire() as conn:
        row, secret = await integrations.rotate_secret(
            conn, principal.owner_id, integration_id, rotation
        )
    return _with_secret(row, secret)


async def _check_channel(request: Request, principal: Principal, channel_id: int) -> None:
    if not await request.app.state.ctx.access.can_access_channel(principal.owner_id, channel_id):
        raise ChannelForbidden(channel_id)


def _with_secret(
    row: dict[str, Any], secret: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    # The secret must not sit in a shared cache or a browser's history of responses.
    return JSONResponse(
        {**integration_view(row), "secret": secret},
        status_code=status_code,
        headers={**(headers or {}), "Cache-Control": "no-store"},
    )


@_managing
async def list_integrations(request: Request, principal: Principal) -> Response:
    page = page_request(request)
    async with request.app.state.ctx.pool.acquire() as conn:
        rows, total = await integrations.page(conn, principal.owner_id, page.limit, page.offset)
    return JSONResponse(page_body([integration_view(r) for r in rows], total, page))


@_managing
async def get_integration(request: Request, principal: Principal) -> Response:
    async with request.app.state.ctx.pool.acquire() as conn:
        row = await _owned(conn, principal, request)
    return JSONResponse(integration_view(row))


@_managing
async def list_deliveries(request: Request, principal: Principal) -> Response:
    page = page_request(request)
    async with request.app.state.ctx.pool.acquire() as conn:
        row = await _owned(conn, principal, request)
        rows, total = await integrations.deliveries(conn, row["id"], page.limit, page.offset)
    return JSONResponse(page_body([delivery_view(r) for r in rows], total, page))


def _status_change(status: str) -> Endpoint:
    @_managing
    async def endpoint(request: Request, principal: Principal) -> Response:
        integration_id: uuid.UUID = request.path_params["integrationId"]
        async with request.app.state.ctx.pool.acquire() as conn:
            row = await integrations.set_status(conn, principal.owner_id, integration_id, status)
        return JSONResponse(integration_view(row))

    return endpoint


def integration_view(row: dict[str, Any]) -> dict[str, Any]:
    sender = SENDERS[row["source"]]
    return Integration(
        id=row["id"],
        name=row["name"],
        source=row["source"],
        channelId=row["channel_id"],
        verification=row["verification"],
        mapping=_effective_mapping(row),
        defaults=IntegrationDefaults.model_validate(row["defaults"]),
        actions={**sender.default_actions, **row["actions"]},
        status=row["status"],
        createdAt=row["created_at"],
        webhookPath=f"/webhooks/{row['source']}/{row['id']}",
        previousSecretValidUntil=row["previous_secret_until"],
    ).model_dump(mode="json")


def _effective_mapping(row: dict[str, Any]) -> dict[str, str]:
    # Some senders' defaults depend on the delivery's shape; show the shape-free ones.
    sender = SENDERS[row["source"]]
    probe = SenderDelivery(action="", document_id="", document={})
    return {**sender.default_mapping(probe), **row["mapping"]}


_OUTCOME_STATUS = {
    "created": "applied",
    "updated": "applied",
    "duplicate": "duplicate",
    "stale": "stale",
    "rejected": "rejected",
}


def delivery_view(row: dict[str, Any]) -> dict[str, Any]:
    status, code, reason = row["status"], row["reason_code"], row["reason"]
    if status == "accepted" and row["outcome"] is not None:
        status = _OUTCOME_STATUS[row["outcome"]]
        code, reason = row["outcome_code"], row["outcome_reason"]
    return Delivery(
        id=row["id"],
        requestId=row["request_id"],
        receivedAt=row["received_at"],
        senderAction=row["sender_action"],
        documentId=row["document_id"],
        status=status,
        reasonCode=code,
        reason=reason,
        fields=row["fields"],
        eventId=row["event_id"],
    ).model_dump(mode="json")


def _validated(payload: object) -> IntegrationSpec:
    try:
        return integrations.validate_spec(payload)
    except integrations.InvalidIntegration as exc:
        raise ValidationFailed(exc.problems) from None


async def _owned(conn: Any, principal: Principal, request: Request) -> dict[str, Any]:
    integration_id: uuid.UUID = request.path_params["integrationId"]
    return await integrations.get(conn, principal.owner_id, integration_id)


_INTEGRATION_ID = Param(
    "integrationId", "path", {"type": "string", "format": "uuid"}, "Integration id"
)
_ONE = f"{INTEGRATIONS_BASE}/{{integrationId}}"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        INTEGRATIONS_BASE,
        "createIntegration",
        "Connect a CMS, CRM or form tool: its webhooks become events in one channel",
        Scope.INTEGRATIONS_MANAGE,
        request=IntegrationSpec,
        responses={201: ("Created; store `secret` now", NewIntegration)},
        errors=(400, 401, 403, 413, 415, 422, 429),
    ),
    Operation(
        "GET",
        INTEGRATIONS_BASE,
        "listIntegrations",
        "This account's integrations (never a secret)",
        Scope.INTEGRATIONS_MANAGE,
        responses={200: ("A page of integrations", IntegrationPage)},
        errors=(400, 401, 403, 429),
        params=PAGE_PARAMS,
    ),
    Operation(
        "GET",
        _ONE,
        "getIntegration",
        "One integration with its effective mapping and actions",
        Scope.INTEGRATIONS_MANAGE,
        responses={200: ("The integration", Integration)},
        errors=(401, 403, 404, 429),
        params=(_INTEGRATION_ID,),
    ),
    *(
        Operation(
            "POST",
            f"{_ONE}/{verb}",
            f"{verb}Integration",
            summary,
            Scope.INTEGRATIONS_MANAGE,
            responses={200: ("The integration", Integration)},
            errors=(401, 403, 404, 429),
            params=(_INTEGRATION_ID,),
        )
        for verb, summary in (
            ("disable", "Pause: its webhook answers 404 and nothing reaches Kafka"),
            ("enable", "Resume a paused integration"),
        )
    ),
    Operation(
        "PATCH",
        _ONE,
        "updateIntegration",
        "Change its name, channel, mapping, defaults or actions; the URL and secret stay",
        Scope.INTEGRATIONS_MANAGE,
        request=IntegrationChange,
        responses={200: ("The integration as changed", Integration)},
        errors=(400, 401, 403, 404, 413, 415, 422, 429),
        params=(_INTEGRATION_ID,),
    ),
    Operation(
        "DELETE",
        _ONE,
        "deleteIntegration",
        "Remove it: its webhook answers 404 and its deliveries log goes; its events stay",
        Scope.INTEGRATIONS_MANAGE,
        responses={204: ("Deleted", None)},
        errors=(401, 403, 404, 429),
        params=(_INTEGRATION_ID,),
    ),
    Operation(
        "POST",
        f"{_ONE}/rotate-secret",
        "rotateIntegrationSecret",
        "A new secret, shown once; the old one is still accepted for `overlapSeconds`",
        Scope.INTEGRATIONS_MANAGE,
        request=SecretRotation,
        request_required=False,
        responses={200: ("Rotated; store `secret` now", NewIntegration)},
        errors=(400, 401, 403, 404, 413, 415, 422, 429),
        params=(_INTEGRATION_ID,),
    ),
    Operation(
        "GET",
        f"{_ONE}/deliveries",
        "listDeliveries",
        "Recent deliveries, newest first: applied, duplicate, stale, ignored, invalid (with "
        "the fields to fix), unauthorized (with the check that failed) or rate_limited (over "
        "the integration's quota: the sender must send it again)",
        Scope.INTEGRATIONS_MANAGE,
        responses={200: ("A page of deliveries", DeliveryPage)},
        errors=(400, 401, 403, 404, 429),
        params=(_INTEGRATION_ID, *PAGE_PARAMS),
    ),
)

ENDPOINTS: dict[str, Endpoint] = {
    "createIntegration": create_integration,
    "listIntegrations": list_integrations,
    "getIntegration": get_integration,
    "listDeliveries": list_deliveries,
    "disableIntegration": _status_change("disabled"),
    "enableIntegration": _status_change("active"),
    "updateIntegration": update_integration,
    "deleteIntegration": delete_integration,
    "rotateIntegrationSecret": rotate_integration_secret,
}
