"""Sanity: GROQ-projected webhook bodies with `sanity-*` headers (document id, operation,
idempotency key) and the webhook toolkit's signature:
`sanity-webhook-signature: t=<ms>,v1=<base64url HMAC-SHA256 of "t.body", unpadded>`.

Drafts (`drafts.` / `versions.` ids) are never applied: only published documents become
events.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from shared.core.numerals import ascii_digits
from shared.domain.senders import verify
from shared.domain.senders.base import Delivery, Sender, first_action, required_id, text

# The webhook's GROQ projection decides the body's shape; these are the names the docs'
# suggested projection gives (docs/webhooks.md). `description` is Portable Text.
_MAPPING = {
    "title": "plain_text(title)",
    "description": "rich_text(description)",
    "startAt": "startAt",
    "endAt": "endAt",
    "timezone": "timezone",
    "approxLocation.city": "place(city, country)",
    "venue.name": "plain_text(venue)",
    "classifications": "value_map(categories, 'categories')",
    "images": "images(image)",
    "ticketLinks": "ticket_links(ticketUrl, 'Tickets')",
    "sourceUpdatedAt": "_updatedAt",
}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    document_id = required_id(headers.get("sanity-document-id") or body.get("_id"), "_id")
    skip = None
    if document_id.startswith(("drafts.", "versions.")):
        skip = "draft document: only published Sanity documents become events"
    return Delivery(
        action=first_action(query, headers.get("sanity-operation"), body.get("operation"))
        or "update",
        document_id=document_id,
        document=body,
        updated_at=text(body.get("_updatedAt")),
        sender_key=headers.get("idempotency-key"),
        published=True,
        skip_reason=skip,
    )


def signature(request: verify.SignedRequest, secret: str) -> None:
    header = request.headers.get("sanity-webhook-signature", "")
    parts = dict(p.strip().partition("=")[::2] for p in header.replace(" ", ",").split(",") if p)
    timestamp, sent = parts.get("t", ""), parts.get("v1", "")
    if not ascii_digits(timestamp) or not sent:
        raise verify.Unverified("no valid sanity-webhook-signature header (t=...,v1=...)")
    verify.require_fresh_millis(timestamp)
    digest = verify.hmac_sha256(secret, timestamp.encode() + b"." + request.body)
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=")
    verify.require_equal(sent.encode(), expected, "signature does not match the body")


SENDER = Sender(
    source="sanity",
    read=read,
    default_mapping=lambda _: _MAPPING,
    default_actions={"create": "create", "update": "update", "delete": "delete"},
    verifications=("signature", "token"),
    signature=signature,
)
