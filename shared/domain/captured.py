"""What a webhook delivery keeps for preview and replay: its raw body, up to a size, and its
headers without anything that proves identity.

Kept for the deliveries log's retention window (GATEWAY_DELIVERY_RETENTION_DAYS, 30), so an
owner can fix a mapping and replay a refused delivery. A body larger than the bound is not
kept (such a delivery cannot be replayed; the log says so). Signature, token, cookie and
authorization headers are replaced by "[redacted]": their presence shows in the log, their
value never does; a replay is authorized by the owner, not by the sender's signature. So are
the values of query parameters named like a secret (`?token=`, `?api_key=`, `?sig=`): a
sender that puts its secret in the URL must not find it in the portal for 30 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

# Larger bodies are not kept; most CMS deliveries are a few KiB.
MAX_KEPT_BODY_BYTES = 256 * 1024
MAX_KEPT_HEADERS = 64
REDACTED = "[redacted]"
# Names (lower case) or fragments of names whose values prove identity or grant access.
_SECRET_NAMES = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
_SECRET_PARTS = ("signature", "token", "secret", "api-key", "apikey", "password", "auth")
# Query names are matched after lower-casing and `_` -> `-`; not by "auth", which would take
# WordPress's `?author=`.
_SECRET_QUERY_NAMES = {"key", "sig", "auth", "hmac", "code", "passwd"}
_SECRET_QUERY_PARTS = ("signature", "token", "secret", "api-key", "apikey", "password", "authoriz")


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


def is_secret_query_name(name: str) -> bool:
    normal = name.lower().replace("_", "-")
    return normal in _SECRET_QUERY_NAMES or any(part in normal for part in _SECRET_QUERY_PARTS)


def redact_query(query: str) -> str:
    """`query` (as sent, percent-encoded) with the value of each secret-named parameter
    replaced by [redacted]; every other parameter kept byte for byte, in order."""
    kept = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        secret = equals and is_secret_query_name(unquote_plus(name))
        kept.append(f"{name}={REDACTED}" if secret else pair)
    return "&".join(kept)
