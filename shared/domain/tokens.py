"""Opaque secrets held by browsers and people: session tokens, calendar-feed tokens,
invitation tokens, and the CSRF tokens forms carry.

A token is 32 random bytes (base64url) behind a prefix that says what it is, so a scanner or
a person can tell them apart and a token of one kind is never taken for another:

    pps_  a person's session (discovery)        ppc_  a person's calendar feed
    pds_  a portal (developer) session          pdi_  a portal invitation

Only a token's sha256 is stored where it authenticates: it has 256 bits of entropy, so a
fast hash is enough (a password needs argon2 because people choose guessable ones), and a
stolen table opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Literal

TokenKind = Literal["pps_", "ppc_", "pds_", "pdi_"]
SESSION_PREFIX: TokenKind = "pps_"
CALENDAR_PREFIX: TokenKind = "ppc_"
PORTAL_SESSION_PREFIX: TokenKind = "pds_"
INVITATION_PREFIX: TokenKind = "pdi_"
_TOKEN_BYTES = 32
_TOKEN_LENGTH = 43  # base64url of 32 bytes, unpadded


def new_token(prefix: TokenKind) -> tuple[str, bytes]:
    """A fresh token and the hash to store."""
    token = prefix + _random_text()
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


def csrf_token(session_token: str, purpose: bytes = b"pinned-people-csrf") -> str:
    """The token forms carry for this session: derived from the session secret, which only
    the browser's HttpOnly cookie holds, so another site can neither read nor compute it.
    `purpose` keeps one service's form tokens from being valid in another's forms."""
    digest = hmac.new(session_token.encode(), purpose, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_form_token() -> str:
    """A double-submit token for forms posted before any session exists (sign-in): set in
    a cookie and in the form, and the two must match."""
    return _random_text()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison: how long it takes tells nothing of where they differ."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _random_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(_TOKEN_BYTES)).decode().rstrip("=")
