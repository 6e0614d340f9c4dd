"""Strapi v4 / v5 `entry.*` webhooks (`entry.create`, `entry.update`, `entry.publish`,
`entry.unpublish`, `entry.delete`), with the entry under `entry`.

Strapi cannot sign its webhooks: it is configured to send a static header, the integration's
token. v5 documents keep one `documentId` across locales and draft/published versions; v4 has
only the numeric id, unique within the content type (`uid` / `model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain.senders.base import (
    Delivery,
    Sender,
    UnreadableDelivery,
    first_action,
    required_id,
    text,
)

# Strapi 5's default rich text is Blocks (a JSON array), Strapi 4's Markdown; media are
# objects whose `url` is relative (`/uploads/...`) with the local upload provider.
_MAPPING = {
    "title": "plain_text(entry.title)",
    "description": "rich_text(entry.description)",
    "startAt": "entry.startAt",
    "endAt": "entry.endAt",
    "timezone": "entry.timezone",
    "approxLocation.city": "place(entry.city, entry.country || entry.countryCode)",
    "venue.name": "plain_text(entry.venue.name || entry.venue)",
    "venue.address": "entry.venue.address || entry.address",
    "classifications": "value_map(entry.category || entry.categories, 'categories')",
    "images": "images(entry.cover || entry.image)",
    "ticketLinks": "ticket_links(entry.ticketUrl || entry.url, 'Tickets')",
    "price.min": "min(numbers(entry.price))",
    "price.max": "max(numbers(entry.price))",
    "price.currency": "entry.currency",
    "sourceUpdatedAt": "entry.updatedAt",
}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    if body.get("event") == "trigger-test":  # the admin panel's Trigger button
        return Delivery(
            action="trigger-test",
            document_id="trigger-test",
            document=body,
            skip_reason="Strapi's Trigger button: a test delivery, verified; nothing to apply",
        )
    entry = body.get("entry")
    if not isinstance(entry, dict):
        raise UnreadableDelivery("no 'entry' object: not a Strapi entry.* webhook")
    action = first_action(query, body.get("event")) or "entry.update"
    document_id = text(entry.get("documentId")) or (
        f"{body.get('uid') or body.get('model')}:{required_id(entry.get('id'), 'entry.id')}"
    )
    if entry.get("locale"):
        document_id = f"{document_id}:{entry['locale']}"
    published = None if "publishedAt" not in entry else entry.get("publishedAt") is not None
    # With Draft & Publish, an edit to the draft version must not touch the live event.
    draft_edit = published is False and action in ("entry.create", "entry.update")
    return Delivery(
        action=action,
        document_id=document_id,
        document=body,
        updated_at=text(entry.get("updatedAt")),
        published=published,
        skip_reason="draft version: only published entries become events" if draft_edit else None,
    )


SENDER = Sender(
    source="strapi",
    read=read,
    default_mapping=lambda _: _MAPPING,
    default_actions={
        "entry.create": "create",
        "entry.update": "update",
        "entry.publish": "publish",
        "entry.unpublish": "unpublish",
        "entry.delete": "delete",
    },
    verifications=("token",),
)
