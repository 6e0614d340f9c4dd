"""Each sender's knowledge, one module per sender: its delivery format (action, document id,
version, its own idempotency key, published flag), how it signs, where its content is (the
default mapping), what its actions do to an event, and what an integration for it must be
(the verifications it supports, the form of its secret).

Formats follow the senders' own documentation and source; each module names its sources.
"""

from __future__ import annotations

from shared.domain.events import FieldError
from shared.domain.senders import (
    contentful,
    generic,
    sanity,
    standard,
    strapi,
    webflow,
    wordpress,
)
from shared.domain.senders.base import Delivery, Sender, UnreadableDelivery
from shared.domain.senders.terms import Verification

__all__ = [
    "SENDERS",
    "Delivery",
    "Sender",
    "UnreadableDelivery",
    "new_secret",
    "sender_problems",
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


def sender_problems(source: str, verification: str | None) -> list[FieldError]:
    """What an integration asks of its sender that the sender cannot do."""
    supported = SENDERS[source].verifications
    if verification and verification not in supported:
        message = f"{source} supports {' or '.join(supported)}"
        return [FieldError("verification", "unsupported", message)]
    return []


def new_secret(source: str) -> str:
    """A fresh secret in the form the source's sender takes."""
    return SENDERS[source].new_secret()


def verification_of(source: str, verification: Verification | None) -> Verification:
    """The integration's verification, else the best its sender supports."""
    return verification or SENDERS[source].verifications[0]
