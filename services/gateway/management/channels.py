"""An owner's channels: which there are (owned, or shared with the account), with their
members, and whether each is public, unlisted or private on the discovery pages."""

from __future__ import annotations

from typing import Any

from services.gateway.adapters.channels import ChannelStore
from services.gateway.management.validation import validated
from shared.adapters import channels
from shared.domain.channels import ChannelPublication
from shared.domain.events import LARGEST_CHANNEL_ID


async def publish_channel(
    store: ChannelStore, owner_id: int, channel_id: int, payload: object
) -> dict[str, Any]:
    """The channel with its new visibility or slug (channels.SlugTaken when the slug is
    another channel's; ChannelNotFound unless the owner's)."""
    change = validated(ChannelPublication, payload)
    if channel_id > LARGEST_CHANNEL_ID:
        raise channels.ChannelNotFound(f"no channel {channel_id}")
    return await store.publish(owner_id, channel_id, change)


async def owned_channel(store: ChannelStore, owner_id: int, channel_id: int) -> dict[str, Any]:
    """One channel the owner owns (ChannelNotFound for any other)."""
    if channel_id > LARGEST_CHANNEL_ID:
        raise channels.ChannelNotFound(f"no channel {channel_id}")
    return await store.owned(owner_id, channel_id)


def public_path(row: dict[str, Any]) -> str | None:
    return f"/channels/{row['slug']}" if row["visibility"] != "private" else None
