"""What every sender module declares, and the helpers they read deliveries with."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.domain.senders.terms import EventAction, Source, Verification
from shared.domain.senders.verify import Verifier, static_token


class UnreadableDelivery(ValueError):
    """The body is not in the sender's format (no document id, not an object, ...)."""


@dataclass(frozen=True)
class Delivery:
    """What one delivery says, in the sender's own terms."""

    action: str
    document_id: str
    document: dict[str, Any]  # the root the mapping's dotted paths start from
    updated_at: str | None = None
    sender_key: str | None = None  # the sender's own idempotency key, when it sends one
    published: bool | None = None  # the sender's own published flag, when it has one
    skip_reason: str | None = None  # a delivery never applied, e.g. a Sanity draft


Reader = Callable[[Mapping[str, str], Mapping[str, str], dict[str, Any]], Delivery]


def token_secret() -> str:
    """A secret for senders that take any string: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Sender:
    """One sender's knowledge: how it proves itself, what its deliveries say, where its
    content is, and what its actions do to an event."""

    source: Source
    read: Reader  # (headers with lower-case names, query, body) -> Delivery
    default_mapping: Callable[[Delivery], dict[str, str]]
    default_actions: dict[str, EventAction]
    # How it can prove itself; the first is the default. Senders that cannot sign send a
    # static token header instead.
    verifications: tuple[Verification, ...]
    signature: Verifier | None = None  # None: the sender cannot sign
    new_secret: Callable[[], str] = token_secret

    def verifier(self, verification: str) -> Verifier:
        """The check an integration configured with `verification` runs on a delivery."""
        if verification == "signature" and self.signature is not None:
            return self.signature
        return static_token

    def actions(self, overrides: Mapping[str, EventAction]) -> dict[str, EventAction]:
        """The effective sender action -> change: the integration's over the defaults."""
        return {**self.default_actions, **overrides}


def text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def required_id(value: Any, where: str) -> str:
    found = text(value)
    if found is None:
        raise UnreadableDelivery(f"no document id at {where}")
    return found


def first_action(query: Mapping[str, str], *candidates: Any) -> str | None:
    """`?action=` in the webhook URL wins over what the delivery says."""
    for candidate in (query.get("action"), *candidates):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


# Generic lifecycle names, accepted as they are by senders whose actions are free-form.
LIFECYCLE: dict[str, EventAction] = {
    "create": "create",
    "update": "update",
    "publish": "publish",
    "unpublish": "unpublish",
    "delete": "delete",
}
