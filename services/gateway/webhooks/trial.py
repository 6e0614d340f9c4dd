"""Preview and replay: an owner trying a mapping on a delivery, and running a refused one
again once the mapping is fixed. Plain service functions over the stores, for the developer
API and the developer portal's pages alike.

- `preview` maps a sample delivery (headers, raw body, query) or a recorded one through the
  integration's current mapping and answers what would be written: it writes nothing and
  sends nothing to Kafka, and checks no signature (the owner is asking, not the sender).
- `replay` runs an `invalid`, `ignored` or `rejected` delivery through the current mapping as
  a new delivery (`replayOf` names the first) under the first one's idempotency key, so a
  replay twice applies once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.gateway.access.cache import AccessReader
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.errors import NotReplayable
from services.gateway.webhooks.deliveries import (
    DeliveryLog,
    NotAnEvent,
    what_it_becomes,
)
from shared.adapters.integrations import IntegrationSpec, as_stored
from shared.contracts.webhook_commands import replay_envelope
from shared.domain.mapping.notes import as_json
from shared.domain.senders import SENDERS, UnreadableDelivery, conversion
from shared.domain.senders.conversion import (
    Sample,
    convert,
    kept_sample,
    read_sample,
    verdict_view,
)

__all__ = ["Sample", "preview", "replay"]


async def preview(
    store: IntegrationStore,
    owner_id: int,
    integration_id: uuid.UUID,
    sample: Sample | None = None,
    delivery_id: uuid.UUID | None = None,
    unsaved: IntegrationSpec | None = None,
) -> dict[str, Any]:
    """The verdict (`verdict_view`) of `sample`, or of the recorded delivery `delivery_id`,
    under the integration as stored, or as `unsaved` configures it (an edit not saved yet,
    validated by the caller: the portal's live preview of the mapping and its settings).
    Raises IntegrationNotFound, DeliveryNotFound, NotReplayable (a recorded delivery whose
    body was too large to keep)."""
    integration = await store.get(owner_id, integration_id)
    if unsaved is not None:
        integration = {**integration, **as_stored(unsaved)}
    if sample is None:
        assert delivery_id is not None
        kept = await store.kept_delivery(owner_id, integration_id, delivery_id)
        sample = _kept(kept, replaying=False)
    return verdict_view(convert(integration, sample))


async def replay(
    store: IntegrationStore,
    access: AccessReader,
    writer: KafkaWriter,
    owner_id: int,
    integration_id: uuid.UUID,
    delivery_id: uuid.UUID,
    request_id: str,
) -> dict[str, Any]:
    """Run a refused delivery again; its answer has the webhook's shape (`status`
    accepted, ignored or invalid; `deliveryId` of the new row; `replayOf`). Raises
    IntegrationNotFound, DeliveryNotFound, NotReplayable."""
    integration = await store.get(owner_id, integration_id)
    kept = await store.kept_delivery(owner_id, integration_id, delivery_id)
    sample = _kept(kept, replaying=True)
    log_entry = DeliveryLog(store, integration, request_id)
    log_entry.replay_of = delivery_id
    log_entry.idempotency_key = kept["idempotency_key"]
    log_entry.keep(sample.lowered(), sample.query, sample.body)
    answer: dict[str, Any] = {"replayOf": str(delivery_id)}
    try:
        delivery = read_sample(integration, sample)
    except UnreadableDelivery as exc:
        verdict = NotAnEvent("invalid", "unreadable", str(exc))
        return {**await log_entry.not_an_event(verdict), **answer}
    log_entry.read(delivery, sample.body)
    becomes = await what_it_becomes(access, SENDERS[integration["source"]], integration, delivery)
    if isinstance(becomes, NotAnEvent):
        return {**await log_entry.not_an_event(becomes), **answer}
    assert log_entry.idempotency_key is not None
    log_entry.notes = becomes.notes
    rejected = kept["status"] == "rejected"
    envelope = replay_envelope(
        integration, becomes.command, request_id, log_entry.idempotency_key, rejected
    )
    log_entry.idempotency_key = envelope.idempotency_key
    await writer.write_command(envelope)
    await log_entry.record("accepted", envelope=envelope)
    if becomes.notes:
        answer["notes"] = as_json(becomes.notes)
    return {
        "status": "accepted",
        "deliveryId": str(log_entry.id),
        "eventId": str(becomes.command.event_id),
        **answer,
    }


def _kept(kept: Mapping[str, Any], replaying: bool) -> Sample:
    try:
        return kept_sample(kept, replaying)
    except conversion.NotReplayable as exc:
        raise NotReplayable(str(exc)) from None
