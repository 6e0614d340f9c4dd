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
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from services.gateway.access.cache import AccessReader
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.errors import NotReplayable
from services.gateway.webhooks.deliveries import (
    DeliveryLog,
    NotAnEvent,
    delivery_envelope,
    what_it_becomes,
)
from shared.domain.senders import SENDERS, UnreadableDelivery
from shared.domain.senders.conversion import (
    convert,
    json_object,
    read_delivery,
    settings_of,
    verdict_view,
)

REPLAYABLE = ("invalid", "ignored", "rejected")


@dataclass(frozen=True)
class Sample:
    """A delivery to preview: the sender's headers (any case), its raw body and the query
    of the webhook URL it was sent to (WP Webhooks names its trigger there)."""

    headers: Mapping[str, str]
    body: bytes
    query: str = ""


async def preview(
    store: IntegrationStore,
    owner_id: int,
    integration_id: uuid.UUID,
    sample: Sample | None = None,
    delivery_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The verdict (`verdict_view`) of `sample`, or of the recorded delivery `delivery_id`,
    under the integration's current mapping. Raises IntegrationNotFound, DeliveryNotFound,
    NotReplayable (a recorded delivery whose body was too large to keep)."""
    integration = await store.get(owner_id, integration_id)
    if sample is None:
        assert delivery_id is not None
        sample = _sample_of(await store.kept_delivery(owner_id, integration_id, delivery_id))
    headers = {name.lower(): value for name, value in sample.headers.items()}
    return verdict_view(convert(integration, headers, _query(sample.query), sample.body))


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
    status = kept["outcome"] if kept["outcome"] == "rejected" else kept["status"]
    if status not in REPLAYABLE:
        raise NotReplayable(
            f"Delivery {delivery_id} is {status}; only {', '.join(REPLAYABLE)} deliveries are "
            "replayed (an applied one is already in its event)."
        )
    sample = _sample_of(kept)
    log_entry = DeliveryLog(store, integration, request_id)
    log_entry.replay_of = delivery_id
    log_entry.idempotency_key = kept["idempotency_key"]
    log_entry.keep(dict(sample.headers), sample.query, sample.body)
    answer = {"replayOf": str(delivery_id)}
    sender = SENDERS[integration["source"]]
    try:
        delivery = read_delivery(
            sender,
            settings_of(integration),
            dict(sample.headers),
            _query(sample.query),
            json_object(sample.body),
        )
    except UnreadableDelivery as exc:
        verdict = NotAnEvent("invalid", "unreadable", str(exc))
        return {**await log_entry.not_an_event(verdict), **answer}
    log_entry.read(delivery, sample.body)
    becomes = await what_it_becomes(access, sender, integration, delivery)
    if isinstance(becomes, NotAnEvent):
        return {**await log_entry.not_an_event(becomes), **answer}
    assert log_entry.idempotency_key is not None
    log_entry.notes = becomes.notes
    envelope = delivery_envelope(
        integration, becomes.command, request_id, log_entry.idempotency_key
    )
    await writer.write_command(envelope)
    await log_entry.record("accepted", envelope=envelope)
    return {
        "status": "accepted",
        "deliveryId": str(log_entry.id),
        "eventId": str(becomes.command.event_id),
        **answer,
    }


def _sample_of(kept: Mapping[str, Any]) -> Sample:
    if kept["body"] is None:
        raise NotReplayable(
            f"Delivery {kept['id']}'s body was larger than the kept bound (or is past "
            "retention); it can only be sent again by its sender."
        )
    return Sample(kept["headers"] or {}, bytes(kept["body"]), kept["query"] or "")


def _query(query: str) -> dict[str, str]:
    return dict(parse_qsl(query or "", keep_blank_values=True))
