"""What a webhook delivery keeps for preview and replay: its raw body, up to a size, and its
headers without anything that proves identity.

Kept for the deliveries log's retention window (GATEWAY_DELIVERY_RETENTION_DAYS, 30), so an
owner can fix a mapping and replay a refused delivery. A body larger than the bound is not
kept (such a delivery cannot be replayed; the log says so). Signature, token, cookie and
authorization headers are replaced by "[redacted]": their presence shows in the log, their
value never does; a replay is authorized by the owner, not by the sender's signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Larger bodies are not kept; most CMS deliveries are a few KiB.
MAX_KEPT_BODY_BYTES = 256 * 1024
MAX_KEPT_HEADERS = 64
REDACTED = "[redacted]"
# Names (lower case) or fragments of names whose values prove identity or grant access.
_SECRET_NAMES = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
_SECRET_PARTS = ("signature", "token", "secret", "api-key", "apikey", "password", "auth")


@dataclass(frozen=True)
class Captured:
    """A delivery as kept: `body` None when it was larger than the bound."""

    headers: dict[str, str]
    body: bytes | None


def is_secret_header(name: str) -> bool:
    lower = name.lower()
    return lower in _SECRET_NAMES or any(part in lower for part in _SECRET_PARTS)


def capture(headers: Mapping[str, str], body: bytes) -> Captured:
    kept = {
        name.lower(): REDACTED if is_secret_header(name) else value[:2000]
        for name, value in list(headers.items())[:MAX_KEPT_HEADERS]
    }
    return Captured(kept, body if len(body) <= MAX_KEPT_BODY_BYTES else None)
