"""Developer API: an owner decides whether its channel is public, unlisted or private, and the
slug of its public address on the discovery service (`/channels/{slug}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import KEY_MANAGEMENT
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.http_io import read_json
from services.gateway.edge.operations import Operation, Param
from services.gateway.edge.schemas import ResponseModel
from services.gateway.management.channels import public_path
from services.gateway.management.channels import publish_channel as publish
from shared.domain.api_keys import Scope
from shared.domain.channels import ChannelPublication, Visibility

CHANNELS_BASE = "/api/developer/v1/channels"


class PublishedChannel(ResponseModel):
    id: int
    name: str
    slug: str
    visibility: Visibility
    publicPath: str | None = Field(
        description="The channel's page on the discovery service; null while private"
    )
    createdAt: datetime


async def publish_channel(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    channel_id: int = request.path_params["channelId"]
    payload = await read_json(request, gateway.settings.max_body_bytes)
    row = await publish(gateway.channels, principal.owner_id, channel_id, payload)
    return JSONResponse(channel_view(row))


def channel_view(row: dict[str, Any]) -> dict[str, Any]:
    return PublishedChannel(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        visibility=row["visibility"],
        publicPath=public_path(row),
        createdAt=row["created_at"],
    ).model_dump(mode="json")


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        method="PATCH",
        path=f"{CHANNELS_BASE}/{{channelId}}",
        operation_id="publishChannel",
        summary="Make an owned channel public, unlisted or private, or change its slug",
        endpoint=publish_channel,
        scope=Scope.CHANNELS_MANAGE,
        quota=KEY_MANAGEMENT,
        request=ChannelPublication,
        responses={200: ("The channel's publication settings", PublishedChannel)},
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
        params=(Param("channelId", "path", {"type": "integer", "minimum": 1}, "Channel id"),),
    ),
)
