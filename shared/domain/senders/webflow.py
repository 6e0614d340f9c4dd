"""Webflow: collection item webhooks (`triggerType` + `payload`), signed with
`x-webflow-signature`, the hex HMAC-SHA256 of "<x-webflow-timestamp>:<body>" (ms clock).

Webflow generates the signing secret itself, so an integration may be given it. Drafts and
archived items are not live.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core.numerals import ascii_digits
from shared.domain.senders import verify
from shared.domain.senders.base import (
    Delivery,
    Sender,
    UnreadableDelivery,
    first_action,
    required_id,
    text,
)

# Field slugs are the site's own; these are Webflow's defaults and the usual event template's.
# A RichText field is HTML, an Image field `{fileId, url, alt}`, an Option field the option's
# id (mapped through a value map).
_MAPPING = {
    "title": "plain_text(payload.fieldData.name)",
    "description": "html_text(payload.fieldData.description)",
    "startAt": 'payload.fieldData."start-date"',
    "endAt": 'payload.fieldData."end-date"',
    "timezone": "payload.fieldData.timezone",
    "approxLocation.city": "place(payload.fieldData.city, payload.fieldData.country)",
    "venue.name": "plain_text(payload.fieldData.venue)",
    "classifications": "value_map(payload.fieldData.category, 'categories')",
    "images": 'images(payload.fieldData."main-image")',
    "ticketLinks": "ticket_links(payload.fieldData.\"ticket-link\", 'Tickets')",
    "sourceUpdatedAt": "payload.lastUpdated",
}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    item = body.get("payload")
    if not isinstance(item, dict):
        raise UnreadableDelivery("no 'payload' object: not a Webflow collection item webhook")
    live = not item.get("isDraft") and not item.get("isArchived")
    return Delivery(
        action=first_action(query, body.get("triggerType")) or "collection_item_changed",
        document_id=required_id(item.get("id"), "payload.id"),
        document=body,
        updated_at=text(item.get("lastUpdated")),
        published=live,
    )


def signature(request: verify.SignedRequest, secret: str) -> None:
    timestamp = request.headers.get("x-webflow-timestamp", "")
    sent = request.headers.get("x-webflow-signature", "")
    if not ascii_digits(timestamp) or not sent:
        raise verify.Unverified("no x-webflow-timestamp / x-webflow-signature headers")
    verify.require_fresh_millis(timestamp)
    expected = verify.hmac_sha256(secret, timestamp.encode() + b":" + request.body).hex().encode()
    verify.require_equal(sent.strip().encode(), expected, "signature does not match the body")


SENDER = Sender(
    source="webflow",
    read=read,
    default_mapping=lambda _: _MAPPING,
    default_actions={
        "collection_item_created": "create",
        "collection_item_changed": "update",
        "collection_item_published": "publish",
        "collection_item_unpublished": "unpublish",
        "collection_item_deleted": "delete",
    },
    verifications=("signature", "token"),
    signature=signature,
)
