"""Checking that a delivery is its sender's own, on the raw bytes and in constant time: the
static token any sender can send, and the primitives each sender's signature check
(`senders/<sender>.py`) is written with.

Each verifier raises `Unverified` with a reason for the deliveries log; the caller answers 401
with the same message whatever the reason, so a forger learns nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# A delivery whose timestamp is further than this from our clock is refused: it may be a
# replay of a captured request. The senders' own libraries use the same 5 minutes.
REPLAY_WINDOW_SECONDS = 300


class Unverified(Exception):
    """The delivery is not proven to come from the integration's sender."""


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


Verifier = Callable[[SignedRequest, str], None]


def static_token(request: SignedRequest, token: str) -> None:
    """`Authorization: Bearer <token>` or `X-Webhook-Token: <token>`, for senders that cannot
    sign (Strapi, form tools): the integration's secret, sent over TLS as a header."""
    sent = request.headers.get("x-webhook-token")
    if sent is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        sent = value.strip() if scheme.lower() == "bearer" else None
    if not sent:
        raise Unverified("no token: send 'Authorization: Bearer <token>' or 'X-Webhook-Token'")
    require_equal(sent.encode(), token.encode(), "wrong token")


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def require_equal(sent: bytes, expected: bytes, problem: str) -> None:
    if not hmac.compare_digest(sent, expected):
        raise Unverified(problem)


def require_fresh_millis(timestamp: str) -> None:
    """`timestamp`, Unix milliseconds in ASCII digits (checked by the caller), within the
    replay window; more than 15 digits is past any clock (and past a float's reach)."""
    if len(timestamp) > 15:
        raise Unverified("the timestamp is no time in Unix milliseconds")
    require_fresh(int(timestamp) / 1000)


def require_fresh(sent_at: float) -> None:
    skew = abs(time.time() - sent_at)
    if skew > REPLAY_WINDOW_SECONDS:
        raise Unverified(
            f"timestamp is {skew:.0f} s from the gateway's clock (window "
            f"{REPLAY_WINDOW_SECONDS} s): a replay, or a sender with a wrong clock"
        )
