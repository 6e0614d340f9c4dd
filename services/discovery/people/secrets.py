"""Opaque secrets people hold: session tokens and calendar-feed tokens.

A token is 32 random bytes (base64url) behind a prefix that says what it is (`pps_` a
session, `ppc_` a calendar feed), so a scanner or a person can tell them apart. Only its
sha256 is stored: the token has 256 bits of entropy, so a fast hash is enough (a password
needs argon2 because people choose guessable ones), and a stolen table opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Literal

TokenKind = Literal["pps_", "ppc_"]
SESSION_PREFIX: TokenKind = "pps_"
CALENDAR_PREFIX: TokenKind = "ppc_"
_TOKEN_BYTES = 32
_TOKEN_LENGTH = 43  # base64url of 32 bytes, unpadded


def new_token(prefix: TokenKind) -> tuple[str, bytes]:
    """A fresh token and the hash to store."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(_TOKEN_BYTES)).decode().rstrip("=")
    token = prefix + raw
    return token, token_hash(token)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def well_formed(token: str, prefix: TokenKind) -> bool:
    """Cheap shape check before a database lookup: scanners' junk never reaches it."""
    body = token.removeprefix(prefix)
    return (
        token.startswith(prefix)
        and len(body) == _TOKEN_LENGTH
        and all(c.isalnum() or c in "-_" for c in body)
    )


def csrf_token(session_token: str) -> str:
    """The token forms carry for this session: derived from the session secret, which only
    the browser's HttpOnly cookie holds, so another site can neither read nor compute it."""
    digest = hmac.new(session_token.encode(), b"pinned-people-csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
