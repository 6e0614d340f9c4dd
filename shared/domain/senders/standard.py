"""Standard Webhooks: `type` + `data` bodies with `webhook-id` / `webhook-timestamp` /
`webhook-signature` headers, verified by the `standardwebhooks` reference library (its own
5-minute tolerance). Every mappable event field is read at the same path under `data.`.

Its secrets are base64 with a `whsec_` prefix, as the specification writes them.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared.domain.senders import verify
from shared.domain.senders.base import (
    LIFECYCLE,
    Delivery,
    Sender,
    UnreadableDelivery,
    first_action,
    required_id,
    text,
)
from shared.domain.senders.terms import MAPPABLE_FIELDS

_EVENT_PATHS = sorted(MAPPABLE_FIELDS - {"sourceUpdatedAt", "approxLocation.city"})
_MAPPING = {**{path: f"data.{path}" for path in _EVENT_PATHS}, "sourceUpdatedAt": "data.updatedAt"}


def read(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    data = body.get("data")
    if not isinstance(data, dict):
        raise UnreadableDelivery("no 'data' object: not a Standard Webhooks event payload")
    event_type = first_action(query, body.get("type")) or "updated"
    return Delivery(
        action=event_type.rsplit(".", 1)[-1],
        document_id=required_id(data.get("id"), "data.id"),
        document=body,
        updated_at=text(data.get("updatedAt")),
        sender_key=headers.get("webhook-id"),
    )


def signature(request: verify.SignedRequest, secret: str) -> None:
    try:
        Webhook(secret).verify(request.body, dict(request.headers), json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error) as exc:
        raise verify.Unverified(f"Standard Webhooks verification failed: {exc}") from None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


SENDER = Sender(
    source="standard",
    read=read,
    default_mapping=lambda _: _MAPPING,
    default_actions={
        **LIFECYCLE,
        "created": "create",
        "updated": "update",
        "published": "publish",
        "unpublished": "unpublish",
        "deleted": "delete",
    },
    verifications=("signature",),
    signature=signature,
    new_secret=new_secret,
)
