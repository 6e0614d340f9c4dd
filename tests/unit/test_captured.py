"""A delivery kept for preview and replay never keeps a secret, and never an unbounded body."""

from __future__ import annotations

from shared.domain.captured import MAX_KEPT_BODY_BYTES, REDACTED, capture


def test_secrets_are_redacted_and_the_rest_kept() -> None:
    kept = capture(
        {
            "Content-Type": "application/json",
            "Authorization": "Bearer strapi-token",
            "X-WC-Webhook-Signature": "abc=",
            "sanity-webhook-signature": "t=1,v1=x",
            "X-Webhook-Token": "t0k3n",
            "webhook-signature": "v1,x",
            "x-contentful-signature": "ff",
            "X-Contentful-Topic": "ContentManagement.Entry.publish",
            "Cookie": "session=1",
        },
        b"{}",
    )
    assert kept.headers["content-type"] == "application/json"
    assert kept.headers["x-contentful-topic"] == "ContentManagement.Entry.publish"
    secrets = {k for k, v in kept.headers.items() if v == REDACTED}
    assert secrets == {
        "authorization",
        "x-wc-webhook-signature",
        "sanity-webhook-signature",
        "x-webhook-token",
        "webhook-signature",
        "x-contentful-signature",
        "cookie",
    }
    assert kept.body == b"{}"


def test_a_body_past_the_bound_is_not_kept() -> None:
    assert capture({}, b"x" * MAX_KEPT_BODY_BYTES).body is not None
    assert capture({}, b"x" * (MAX_KEPT_BODY_BYTES + 1)).body is None
