"""Contentful: `X-Contentful-Topic` (`ContentManagement.Entry.publish`, ...), an entity
payload of `sys` and localized `fields`, and request verification: hex HMAC-SHA256 of the
canonical request "METHOD\\npath\\nname:value;name:value\\nbody" over the headers it lists in
`x-contentful-signed-headers`, which include `x-contentful-timestamp` (ms).

Saves are drafts in Contentful; only publishing makes an entry live. Contentful generates
the signing secret itself, so an integration may be given it.
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
    required_id,
    text,
)

# Every field is localized (`{"en-US": ...}`): localized() reads the integration's locale,
# else the first. `description` is Contentful Rich Text; assets arrive as links, so the
# content model keeps an image's URL in a field of its own.
_MAPPING = {
    "title": "plain_text(localized(fields.title))",
    "description": "rich_text(localized(fields.description))",
    "startAt": "localized(fields.startAt)",
    "endAt": "localized(fields.endAt)",
    "timezone": "localized(fields.timezone)",
    "approxLocation.city": "place(localized(fields.city), localized(fields.country))",
    "venue.name": "plain_text(localized(fields.venue))",
    "classifications": "value_map(localized(fields.categories), 'categories')",
    "images": "images(localized(fields.imageUrl), localized(fields.imageAlt))",
    "ticketLinks": "ticket_links(localized(fields.ticketUrl), 'Tickets')",
    "sourceUpdatedAt": "sys.updatedAt",
}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    topic = headers.get("x-contentful-topic", "")
    _, kind, action = ["", "", "", *topic.split(".")][-3:]
    sys = body.get("sys")
    if not isinstance(sys, dict):
        raise UnreadableDelivery("no 'sys' object: not a Contentful entity payload")
    skip = None if kind == "Entry" else f"topic {topic or '(none)'} is not about an entry"
    return Delivery(
        action=action or "save",
        document_id=required_id(sys.get("id"), "sys.id"),
        document=body,
        # An unpublish or delete sends a tombstone (`DeletedEntry`) stamped when it happened.
        updated_at=text(sys.get("deletedAt") or sys.get("updatedAt")),
        sender_key=headers.get("x-contentful-idempotency-key"),
        published=action == "publish" if action in ("publish", "unpublish") else None,
        skip_reason=skip,
    )


def signature(request: verify.SignedRequest, secret: str) -> None:
    sent = request.headers.get("x-contentful-signature", "")
    signed = [
        h.strip().lower()
        for h in request.headers.get("x-contentful-signed-headers", "").split(",")
        if h.strip()
    ]
    timestamp = request.headers.get("x-contentful-timestamp", "")
    if not sent or "x-contentful-timestamp" not in signed or not ascii_digits(timestamp):
        raise verify.Unverified("no x-contentful-signature over a signed x-contentful-timestamp")
    verify.require_fresh_millis(timestamp)
    headers = ";".join(f"{name}:{request.headers.get(name, '')}" for name in signed)
    canonical = f"{request.method}\n{request.path}\n{headers}\n".encode() + request.body
    expected = verify.hmac_sha256(secret, canonical).hex().encode()
    verify.require_equal(sent.strip().encode(), expected, "signature does not match the request")


SENDER = Sender(
    source="contentful",
    read=read,
    default_mapping=lambda _: _MAPPING,
    default_actions={
        "publish": "publish",
        "unpublish": "unpublish",
        "archive": "unpublish",
        "delete": "delete",
    },
    verifications=("signature", "token"),
    signature=signature,
)
