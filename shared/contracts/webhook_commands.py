"""A webhook delivery's verdict as the command it sends to the publisher, under an
idempotency key that is the sender's own or derived from the document's id, version and
action, never random: the same delivery sent again (or replayed) is deduplicated. Used by the
gateway's intake and replay, and by `pinned integrations replay`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.contracts.messages import (
    ChangeStatus,
    Command,
    CreateEvent,
    IngestEnvelope,
    derive_event_id,
    request_hash,
)
from shared.domain.mapping.times import instant
from shared.domain.senders import Delivery
from shared.domain.senders.conversion import Verdict


def command_of(integration: Mapping[str, Any], result: Verdict) -> Command:
    assert result.delivery is not None
    owner, channel = integration["account_id"], integration["channel_id"]
    event_id = derive_event_id(owner, None, channel, result.delivery.document_id)
    if result.change == "unpublish":
        # Its version ordered as the mapping orders an upsert's `sourceUpdatedAt`.
        updated = result.delivery.updated_at
        version = None if updated is None else instant(updated)
        return ChangeStatus(event_id=event_id, action="unpublish", source_updated_at=version)
    if result.change == "cancel":
        return ChangeStatus(event_id=event_id, action="cancel")
    assert result.event is not None
    return CreateEvent(event_id=event_id, event=result.event)


def idempotency_key(integration: Mapping[str, Any], delivery: Delivery, raw: bytes) -> str:
    """The sender's own key where it sends one; else the document's identity, version and
    body, or the body alone when the sender sends no version: the same delivery, the same
    key. The body is in the key beside the version because a version does not always change
    with the content (a CRM's date-only or whole-second modified time): two edits under one
    version would share a key, and the second, another body under the first's key, was
    accepted with 202 and then rejected `idempotency_key_reused`. A key past 255 characters
    (a long document id) is hashed whole rather than cut, which could cut the version off."""
    if delivery.sender_key:
        key = delivery.sender_key
    elif delivery.updated_at:
        body = hashlib.sha256(raw).hexdigest()[:16]
        key = f"{delivery.document_id}:{delivery.updated_at}:{delivery.action}:{body}"
    else:
        key = f"{delivery.document_id}:{hashlib.sha256(raw).hexdigest()[:32]}:{delivery.action}"
    whole = f"webhook:{integration['id']}:{key}"
    if len(whole) <= 255:
        return whole
    return f"webhook:{integration['id']}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def delivery_envelope(
    integration: Mapping[str, Any], command: Command, request_id: str, key: str
) -> IngestEnvelope:
    # The version is in the key already (or the sender's own key stands for it): the hash is
    # what gateways before it computed, so a delivery retried across a deploy still matches.
    payload = command.model_dump(mode="json", exclude={"event_id", "type", "source_updated_at"})
    return IngestEnvelope(
        message_id=uuid.uuid4(),
        request_id=request_id,
        received_at=datetime.now(UTC),
        owner_id=integration["account_id"],
        integration_id=integration["id"],
        idempotency_key=key,
        request_hash=request_hash(command, payload),
        command=command,
        awaited_until=None,  # the sender is answered once Kafka has the command
    )


def replay_envelope(
    integration: Mapping[str, Any],
    command: Command,
    request_id: str,
    key: str,
    first_rejected: bool,
) -> IngestEnvelope:
    """A replayed delivery's command under the first delivery's key. A delivery the
    publisher rejected has its key claimed by the command it refused, so its replay goes
    under that key extended by the new command's hash: a fixed mapping applies, and a
    replay twice still applies once."""
    envelope = delivery_envelope(integration, command, request_id, key)
    if not first_rejected:
        return envelope
    extended = f"{key[:220]}:replay:{envelope.request_hash[:16]}"
    return envelope.model_copy(update={"idempotency_key": extended})
