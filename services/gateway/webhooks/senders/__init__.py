"""Each sender's knowledge, one module per sender: its delivery format (action, document id,
version, its own idempotency key, published flag), how it signs, where its content is (the
default mapping), what its actions do to an event, and what an integration for it must be
(the verifications it supports, the form of its secret).

Formats follow the senders' own documentation and source; each module names its sources.
"""

from __future__ import annotations

from typing import Any

from services.gateway.webhooks.senders import (
    contentful,
    generic,
    sanity,
    standard,
    strapi,
    webflow,
    wordpress,
)
from services.gateway.webhooks.senders.base import Delivery, Sender, UnreadableDelivery, at
from shared.adapters import integrations
from shared.adapters.integrations import IntegrationSpec, Verification
from shared.domain.events import FieldError

__all__ = [
    "SENDERS",
    "Delivery",
    "Sender",
    "UnreadableDelivery",
    "at",
    "changed_spec",
    "new_secret",
    "validate_spec",
    "verification_of",
]

SENDERS: dict[str, Sender] = {
    sender.source: sender
    for sender in (
        wordpress.SENDER,
        strapi.SENDER,
        sanity.SENDER,
        contentful.SENDER,
        webflow.SENDER,
        standard.SENDER,
        generic.SENDER,
    )
}


def sender_problems(spec: IntegrationSpec) -> list[FieldError]:
    """What the integration asks of its sender that the sender cannot do."""
    supported = SENDERS[spec.source].verifications
    if spec.verification and spec.verification not in supported:
        message = f"{spec.source} supports {' or '.join(supported)}"
        return [FieldError("verification", "unsupported", message)]
    return []


def new_secret(source: str) -> str:
    """A fresh secret in the form the source's sender takes."""
    return SENDERS[source].new_secret()


def verification_of(spec: IntegrationSpec) -> Verification:
    """The spec's verification, else the best its sender supports."""
    return spec.verification or SENDERS[spec.source].verifications[0]


def validate_spec(payload: object) -> IntegrationSpec:
    """The integration `payload` describes, or InvalidIntegration naming each problem, its
    sender's rules included (the developer API and the `pinned integrations` CLI alike)."""
    return integrations.validate_spec(payload, sender_problems)


def changed_spec(stored: dict[str, Any], payload: object) -> IntegrationSpec:
    """The stored integration with the change in `payload`, validated as a whole."""
    return integrations.changed_spec(stored, payload, sender_problems)
