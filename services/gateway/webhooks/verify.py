"""How each sender proves a delivery is its own, checked on the raw bytes in constant time.

Each verifier raises `Unverified` with a reason for the deliveries log; the caller answers 401
with the same message whatever the reason, so a forger learns nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

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
    _require_equal(sent.encode(), token.encode(), "wrong token")


def wordpress_hmac(request: SignedRequest, secret: str) -> None:
    """WooCommerce's `X-WC-Webhook-Signature` and WP Webhooks' `X-WP-Webhook-Signature`: both
    base64(HMAC-SHA256(secret, body)). Neither sends a timestamp, so there is no replay
    window; replays are absorbed by the delivery's idempotency key instead."""
    sent = request.headers.get("x-wc-webhook-signature") or request.headers.get(
        "x-wp-webhook-signature"
    )
    if not sent:
        raise Unverified("no X-WC-Webhook-Signature or X-WP-Webhook-Signature header")
    expected = base64.b64encode(_hmac(secret, request.body))
    _require_equal(sent.strip().encode(), expected, "signature does not match the body")


def sanity(request: SignedRequest, secret: str) -> None:
    """`sanity-webhook-signature: t=<ms>,v1=<base64url HMAC-SHA256 of "t.body", unpadded>`."""
    header = request.headers.get("sanity-webhook-signature", "")
    parts = dict(p.strip().partition("=")[::2] for p in header.replace(" ", ",").split(",") if p)
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not signature:
        raise Unverified("no valid sanity-webhook-signature header (t=...,v1=...)")
    _require_fresh(int(timestamp) / 1000)
    digest = _hmac(secret, timestamp.encode() + b"." + request.body)
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=")
    _require_equal(signature.encode(), expected, "signature does not match the body")


def webflow(request: SignedRequest, secret: str) -> None:
    """`x-webflow-signature`: hex HMAC-SHA256 of "<x-webflow-timestamp>:<body>" (ms clock)."""
    timestamp = request.headers.get("x-webflow-timestamp", "")
    signature = request.headers.get("x-webflow-signature", "")
    if not timestamp.isdigit() or not signature:
        raise Unverified("no x-webflow-timestamp / x-webflow-signature headers")
    _require_fresh(int(timestamp) / 1000)
    expected = _hmac(secret, timestamp.encode() + b":" + request.body).hex().encode()
    _require_equal(signature.strip().encode(), expected, "signature does not match the body")


def contentful(request: SignedRequest, secret: str) -> None:
    """Contentful request verification: hex HMAC-SHA256 of the canonical request
    "METHOD\\npath\\nname:value;name:value\\nbody" over the headers it lists in
    `x-contentful-signed-headers`, which include `x-contentful-timestamp` (ms)."""
    signature = request.headers.get("x-contentful-signature", "")
    signed = [
        h.strip().lower()
        for h in request.headers.get("x-contentful-signed-headers", "").split(",")
        if h.strip()
    ]
    timestamp = request.headers.get("x-contentful-timestamp", "")
    if not signature or "x-contentful-timestamp" not in signed or not timestamp.isdigit():
        raise Unverified("no x-contentful-signature over a signed x-contentful-timestamp")
    _require_fresh(int(timestamp) / 1000)
    headers = ";".join(f"{name}:{request.headers.get(name, '')}" for name in signed)
    canonical = f"{request.method}\n{request.path}\n{headers}\n".encode() + request.body
    expected = _hmac(secret, canonical).hex().encode()
    _require_equal(signature.strip().encode(), expected, "signature does not match the request")


def standard_webhooks(request: SignedRequest, secret: str) -> None:
    """`webhook-id` / `webhook-timestamp` / `webhook-signature`, checked by the
    `standardwebhooks` reference library (its own 5-minute tolerance)."""
    try:
        Webhook(secret).verify(request.body, dict(request.headers), json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error) as exc:
        raise Unverified(f"Standard Webhooks verification failed: {exc}") from None


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _require_equal(sent: bytes, expected: bytes, problem: str) -> None:
    if not hmac.compare_digest(sent, expected):
        raise Unverified(problem)


def _require_fresh(sent_at: float) -> None:
    skew = abs(time.time() - sent_at)
    if skew > REPLAY_WINDOW_SECONDS:
        raise Unverified(
            f"timestamp is {skew:.0f} s from the gateway's clock (window "
            f"{REPLAY_WINDOW_SECONDS} s): a replay, or a sender with a wrong clock"
        )
