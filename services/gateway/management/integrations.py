"""Webhook integrations as an owner manages them: creating one (its sender's rules, and the
channel must be one the owner may publish into), changing it as a whole, rotating its secret,
and how its mapping reads."""

from __future__ import annotations

import uuid
from typing import Any

from services.gateway.access.cache import AccessReader
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.errors import ChannelForbidden, InvalidInput
from shared.adapters import integrations
from shared.adapters.integrations import IntegrationSpec
from shared.domain import senders

Row = dict[str, Any]


async def create_integration(
    store: IntegrationStore, access: AccessReader, owner_id: int, payload: object
) -> tuple[Row, str]:
    """The stored integration and its secret (shown once)."""
    spec = _spec(lambda: integrations.validate_spec(payload))
    await require_channel(access, owner_id, spec.channelId)
    return await store.create(
        owner_id,
        spec,
        senders.verification_of(spec.source, spec.verification),
        spec.mapping,
        spec.actions,
    )


async def change_integration(
    store: IntegrationStore,
    access: AccessReader,
    owner_id: int,
    integration_id: uuid.UUID,
    payload: object,
) -> Row:
    """The stored integration with `payload`'s change, validated as a whole; a new channel
    must be one the owner may publish into."""

    async def changed(stored: Row) -> IntegrationSpec:
        spec = _spec(lambda: integrations.changed_spec(stored, payload))
        if spec.channelId != stored["channel_id"]:
            await require_channel(access, owner_id, spec.channelId)
        return spec

    return await store.change(owner_id, integration_id, changed)


async def rotate_secret(
    store: IntegrationStore, owner_id: int, integration_id: uuid.UUID, payload: object
) -> tuple[Row, str]:
    try:
        rotation = integrations.validate_rotation(payload)
        return await store.rotate_secret(owner_id, integration_id, rotation)
    except integrations.InvalidIntegration as exc:
        raise InvalidInput(exc.problems) from None


async def require_channel(access: AccessReader, owner_id: int, channel_id: int) -> None:
    if not await access.can_access_channel(owner_id, channel_id):
        raise ChannelForbidden(channel_id)


def candidate(stored: Row, change: dict[str, Any]) -> IntegrationSpec:
    """The integration as `change` (a PATCH body) would make it, validated as that change
    would be, for previewing an edit before it is saved; InvalidInput otherwise."""
    return _spec(lambda: integrations.changed_spec(stored, change))


def webhook_path(row: Row) -> str:
    return f"/webhooks/{row['source']}/{row['id']}"


def effective_mapping(row: Row) -> dict[str, str]:
    """The sender's defaults under the integration's own mapping."""
    return {**default_mapping(row["source"]), **row["mapping"]}


def default_mapping(source: str) -> dict[str, str]:
    # Some senders' defaults depend on the delivery's shape; show the shape-free ones.
    probe = senders.Delivery(action="", document_id="", document={})
    return senders.SENDERS[source].default_mapping(probe)


def _spec(build: Any) -> IntegrationSpec:
    try:
        spec: IntegrationSpec = build()
    except integrations.InvalidIntegration as exc:
        raise InvalidInput(exc.problems) from None
    return spec
