"""WordPress: The Events Calendar's REST event, WP Webhooks' post triggers (`post_create`,
`post_update`, `post_delete`), and WooCommerce-style signatures.

Both signature headers, WooCommerce's `X-WC-Webhook-Signature` and WP Webhooks'
`X-WP-Webhook-Signature`, are base64(HMAC-SHA256(secret, body)). Neither carries a timestamp,
so there is no replay window; replays are absorbed by the delivery's idempotency key (the
sender's delivery id, else the post's id, modification time and action).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from shared.domain.senders import verify
from shared.domain.senders.base import (
    LIFECYCLE,
    Delivery,
    Sender,
    first_action,
    required_id,
    text,
)

# The Events Calendar's REST event: HTML description, entities in the title (`&#038;`), the
# venue with its city and country, `cost_details`, `website` (the event's URL: tickets).
_TEC_MAPPING = {
    "title": "plain_text(title)",
    "description": "html_text(description)",
    "startAt": "start_date",
    "endAt": "end_date",
    "timezone": "timezone",
    "approxLocation.city": "place(venue.city, venue.country, venue.stateprovince)",
    "venue.name": "plain_text(venue.venue)",
    "venue.address": "venue.address",
    "venue.coordinates.lat": "venue.geo_lat",
    "venue.coordinates.lng": "venue.geo_lng",
    "classifications": "value_map(categories[*].slug, 'categories')",
    "images": "images(image)",
    "ticketLinks": "ticket_links(website, 'Tickets')",
    "price.min": "min(numbers(cost))",
    "price.max": "max(numbers(cost))",
    "price.currency": "cost_details.currency_code",
    "sourceUpdatedAt": "modified_utc",
}
# WP Webhooks' post triggers: `post_content` with block comments, meta values as lists (The
# Events Calendar's `_Event*` keys, else plain `event_*` ones), the featured image's URL and
# the post's terms by taxonomy. The venue is a post of its own: map its city (ACF fields, say)
# with `place(...)`.
_WP_POST_MAPPING = {
    "title": "plain_text(post.post_title)",
    "description": "wordpress_text(post.post_content) || plain_text(post.post_excerpt)",
    "startAt": "post_meta._EventStartDate[0] || post_meta.event_start[0]",
    "endAt": "post_meta._EventEndDate[0] || post_meta.event_end[0]",
    "timezone": "post_meta._EventTimezone[0] || post_meta.event_timezone[0]",
    "classifications": "value_map(keys(taxonomies.tribe_events_cat || `{}`), 'categories')",
    "images": "images(post_thumbnail)",
    "ticketLinks": "ticket_links(post_meta._EventURL[0], 'Tickets')",
    "price.min": "min(numbers(post_meta._EventCost[0]))",
    "price.max": "max(numbers(post_meta._EventCost[0]))",
    "price.currency": "post_meta._EventCurrencyCode[0]",
    "sourceUpdatedAt": "post.post_modified_gmt",
}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    post = body.get("post")
    if isinstance(post, dict):  # WP Webhooks' post_create / post_update / post_delete
        status = post.get("post_status")
        document_id = required_id(body.get("post_id") or post.get("ID"), "post_id")
        updated = text(post.get("post_modified_gmt"))
    else:  # The Events Calendar's REST event
        status = body.get("status")
        document_id = required_id(body.get("id"), "id")
        updated = text(body.get("modified_utc") or body.get("modified"))
    fallback = "trash" if status == "trash" else "update"
    action = first_action(query, headers.get("x-wc-webhook-topic"), body.get("action")) or fallback
    return Delivery(
        action=action,
        document_id=document_id,
        document=body,
        updated_at=updated,
        sender_key=headers.get("x-wc-webhook-delivery-id"),
        published=None if status is None else status == "publish",
    )


def default_mapping(delivery: Delivery) -> dict[str, str]:
    return _WP_POST_MAPPING if isinstance(delivery.document.get("post"), dict) else _TEC_MAPPING


def signature(request: verify.SignedRequest, secret: str) -> None:
    sent = request.headers.get("x-wc-webhook-signature") or request.headers.get(
        "x-wp-webhook-signature"
    )
    if not sent:
        raise verify.Unverified("no X-WC-Webhook-Signature or X-WP-Webhook-Signature header")
    expected = base64.b64encode(verify.hmac_sha256(secret, request.body))
    verify.require_equal(sent.strip().encode(), expected, "signature does not match the body")


SENDER = Sender(
    source="wordpress",
    read=read,
    default_mapping=default_mapping,
    default_actions={
        **LIFECYCLE,
        "post_create": "create",
        "post_update": "update",
        "post_delete": "delete",
        "post_trash": "delete",
        "trash": "delete",
        "event.created": "create",
        "event.updated": "update",
        "event.deleted": "delete",
    },
    verifications=("signature", "token"),
    signature=signature,
)
