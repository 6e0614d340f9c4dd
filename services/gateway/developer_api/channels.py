"""Developer API: an owner's channels, each with its address on the discovery service (its
page and feeds), and whether it is public, unlisted or private there, under which slug."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from starlette.responses import JSONResponse, Response

from services.gateway.access.auth import Principal
from services.gateway.access.quotas import KEY_MANAGEMENT
from services.gateway.context import Gateway, GatewayRequest
from services.gateway.edge.http_io import PAGE_PARAMS, page_body, page_request, read_json
from services.gateway.edge.operations import Operation, Param
from services.gateway.edge.schemas import PageFields, ResponseModel
from services.gateway.management.channels import owned_channel, public_path
from services.gateway.management.channels import publish_channel as publish
from shared.domain.api_keys import Scope
from shared.domain.channels import ChannelPublication, Visibility

CHANNELS_BASE = "/api/developer/v1/channels"


class ChannelFeeds(ResponseModel):
    ical: str = Field(description="iCalendar (RFC 5545), for calendar apps")
    json_feed: str = Field(serialization_alias="json", description="JSON Feed 1.1")
    atom: str = Field(description="Atom (RFC 4287), for feed readers")


class ChannelUrls(ResponseModel):
    page: str = Field(description="The channel's public page")
    feeds: ChannelFeeds


class PublishedChannel(ResponseModel):
    id: int
    name: str
    slug: str
    visibility: Visibility
    publicPath: str | None = Field(
        description="The channel's page on the discovery service; null while private"
    )
    urls: ChannelUrls | None = Field(
        description="Where people find it on the discovery service (GATEWAY_DISCOVERY_URL): its "
        "page and feeds; null while private"
    )
    createdAt: datetime


class ChannelPage(PageFields):
    docs: list[PublishedChannel]


async def list_channels(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    page = page_request(request)
    rows, total = await gateway.channels.owned_page(principal.owner_id, page.limit, page.offset)
    discovery = gateway.settings.discovery_url
    return JSONResponse(page_body([channel_view(row, discovery) for row in rows], total, page))


async def get_channel(request: GatewayRequest, gateway: Gateway, principal: Principal) -> Response:
    row = await owned_channel(gateway.channels, principal.owner_id, _channel_id(request))
    return JSONResponse(channel_view(row, gateway.settings.discovery_url))


async def publish_channel(
    request: GatewayRequest, gateway: Gateway, principal: Principal
) -> Response:
    payload = await read_json(request, gateway.settings.max_body_bytes)
    row = await publish(gateway.channels, principal.owner_id, _channel_id(request), payload)
    return JSONResponse(channel_view(row, gateway.settings.discovery_url))


def channel_view(row: dict[str, Any], discovery_url: str) -> dict[str, Any]:
    path = public_path(row)
    return PublishedChannel(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        visibility=row["visibility"],
        publicPath=path,
        urls=_urls(discovery_url.rstrip("/"), row["slug"]) if path else None,
        createdAt=row["created_at"],
    ).model_dump(mode="json", by_alias=True)


def _urls(base: str, slug: str) -> ChannelUrls:
    feeds = f"{base}/feeds/channels/{slug}"
    return ChannelUrls(
        page=f"{base}/channels/{slug}",
        feeds=ChannelFeeds(ical=f"{feeds}.ics", json_feed=f"{feeds}.json", atom=f"{feeds}.atom"),
    )


def _channel_id(request: GatewayRequest) -> int:
    channel_id: int = request.path_params["channelId"]
    return channel_id


_CHANNEL_ID = Param("channelId", "path", {"type": "integer", "minimum": 1}, "Channel id")

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        method="GET",
        path=CHANNELS_BASE,
        operation_id="listChannels",
        summary="The channels this account owns, with their addresses on the discovery service",
        endpoint=list_channels,
        scope=Scope.CHANNELS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("A page of channels, oldest first", ChannelPage)},
        errors=(400, 401, 403, 429),
        params=PAGE_PARAMS,
    ),
    Operation(
        method="GET",
        path=f"{CHANNELS_BASE}/{{channelId}}",
        operation_id="getChannel",
        summary="One owned channel: its name, slug, visibility, page and feeds",
        endpoint=get_channel,
        scope=Scope.CHANNELS_MANAGE,
        quota=KEY_MANAGEMENT,
        responses={200: ("The channel", PublishedChannel)},
        errors=(401, 403, 404, 429),
        params=(_CHANNEL_ID,),
    ),
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
        params=(_CHANNEL_ID,),
    ),
)
