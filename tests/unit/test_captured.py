"""A delivery kept for preview and replay never keeps a secret, and never an unbounded body."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from shared.domain.captured import (
    MAX_KEPT_BODY_BYTES,
    REDACTED,
    capture,
    is_secret_query_name,
    redact_query,
)


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


def test_secret_query_values_are_redacted_and_the_rest_kept_as_sent() -> None:
    sent = "action=create&api_key=s3cr%2Bt&Token=x&author=7&sig=ab&q=a+b%26c&flag&x_webhook_secret="
    assert redact_query(sent) == (
        "action=create&api_key=[redacted]&Token=[redacted]&author=7&sig=[redacted]"
        "&q=a+b%26c&flag&x_webhook_secret=[redacted]"
    )


@given(
    st.lists(
        st.tuples(
            st.text("abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12),
            st.text(min_size=0, max_size=12),
        ),
        max_size=6,
    )
)
def test_only_secret_named_values_change(pairs: list[tuple[str, str]]) -> None:
    query = urlencode(pairs)
    redacted = parse_qsl(redact_query(query), keep_blank_values=True)
    assert len(redacted) == len(pairs)
    for (name, value), (kept_name, kept_value) in zip(pairs, redacted, strict=True):
        assert kept_name == name
        assert kept_value == (REDACTED if is_secret_query_name(name) else value)
