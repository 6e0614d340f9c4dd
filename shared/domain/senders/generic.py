"""Generic JSON: a flat record whose fields are the event's own (`title`, `startAt`, ...),
with its id in `id` or `sourceId` and an optional `action`; for form tools and CRMs that send
JSON as they have it. Such senders cannot sign: they send the integration's token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain.senders.base import (
    LIFECYCLE,
    Delivery,
    Sender,
    first_action,
    required_id,
    text,
)
from shared.domain.senders.terms import MAPPABLE_FIELDS

_MAPPING = {
    **{path: path for path in sorted(MAPPABLE_FIELDS - {"sourceUpdatedAt", "approxLocation.city"})},
    "sourceUpdatedAt": "updatedAt",
}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    return Delivery(
        action=first_action(query, body.get("action")) or "update",
        document_id=required_id(body.get("id") or body.get("sourceId"), "id"),
        document=body,
        updated_at=text(body.get("updatedAt")),
        sender_key=headers.get("idempotency-key"),
    )


SENDER = Sender(
    source="generic",
    read=read,
    default_mapping=lambda _: _MAPPING,
    default_actions={**LIFECYCLE, "upsert": "update"},
    verifications=("token",),
)
