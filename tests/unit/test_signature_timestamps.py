"""A signature header's timestamp in digits other than ASCII, or too long for any clock, is an
unverified delivery (401), not an error: `isdigit()` let a superscript through to `int()`, and
a long run of digits overflowed the float division."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.senders import contentful, sanity, webflow
from shared.domain.senders.verify import SignedRequest, Unverified

# A superscript two (isdigit() is true, int() refuses it); 400 nines (a float cannot hold it).
ODD = ["\u00b2", "9" * 400]


@pytest.mark.parametrize("odd", ODD)
@pytest.mark.parametrize(
    ("check", "header"),
    [
        (sanity.signature, lambda t: {"sanity-webhook-signature": f"t={t},v1=abc"}),
        (webflow.signature, lambda t: {"x-webflow-timestamp": t, "x-webflow-signature": "abc"}),
        (contentful.signature, lambda t: {"x-contentful-timestamp": t,
                                          "x-contentful-signature": "abc",
                                          "x-contentful-signed-headers": "x-contentful-timestamp"}),
    ],
)  # fmt: skip
def test_an_odd_timestamp_is_unverified(check: object, header: Any, odd: str) -> None:
    headers = header(odd)
    request = SignedRequest("POST", "/webhooks/x/1", headers, b"{}")
    with pytest.raises(Unverified):
        check(request, "a-secret-of-sixteen-chars")  # type: ignore[operator]
