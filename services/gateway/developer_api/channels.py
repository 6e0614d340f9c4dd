"""Developer API: an owner decides whether its channel is public, unlisted or private, and the
slug of its public address on the discovery service (`/channels/{slug}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.edge.errors import ValidationFailed
from services.gateway.edge.guard import Endpoint, requires
from services.gateway.edge.http_io import read_json
from services.gateway.edge.openapi import Operation, Param
from services.gateway.public_api.schemas import _Response
from shared.adapters import channels
from shared.domain.api_keys import Scope
from shared.domain.channels import ChannelPublication, Visibility
from shared.domain.events import LARGEST_CHANNEL_ID, field_errors

CHANNELS_BASE = "/api/developer/v1/channels"


class PublishedChannel(_Response):
    id: int
    name: str
    slug: str
    visibility: Visibility
    publicPath: str | None = Field(
        description="The channel's page on the discovery service; null while private"
    )
    createdAt: datetime


@requires(Scope.CHANNELS_MANAGE, route_limit="key_management", limit_by="owner")
async def publish_channel(request: Request, principal: Principal) -> Response:
    ctx = request.app.state.ctx
    channel_id: int = request.path_params["channelId"]
    try:
        change = ChannelPublication.model_validate(
            await read_json(request, ctx.settings.max_body_bytes)
        )
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None
    if channel_id > LARGEST_CHANNEL_ID:
        raise channels.ChannelNotFound(f"no channel {channel_id}")
    async with ctx.pool.acquire() as conn:
        row = await channels.publish(conn, principal.owner_id, channel_id, change)
    return JSONResponse(channel_view(row))


def channel_view(row: dict[str, Any]) -> dict[str, Any]:
    public = row["visibility"] != "private"
    return PublishedChannel(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        visibility=row["visibility"],
        publicPath=f"/channels/{row['slug']}" if public else None,
        createdAt=row["created_at"],
    ).model_dump(mode="json")


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "PATCH",
        f"{CHANNELS_BASE}/{{channelId}}",
        "publishChannel",
        "Make an owned channel public, unlisted or private, or change its slug",
        Scope.CHANNELS_MANAGE,
        request=ChannelPublication,
        responses={200: ("The channel's publication settings", PublishedChannel)},
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
        params=(Param("channelId", "path", {"type": "integer", "minimum": 1}, "Channel id"),),
    ),
)

ENDPOINTS: dict[str, Endpoint] = {"publishChannel": publish_channel}
