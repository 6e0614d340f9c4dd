"""Unit tests of the portal's pure parts: the SVG charts (every day of the span drawn, text
escaped, no inline style for the CSP to refuse), each sender's setup steps (the values to
paste, the secret only when it was just made), and the one-time reveal cookie's matching."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from services.gateway.portal import charts
from services.gateway.portal.reveal import REVEAL_COOKIE, take
from services.gateway.portal.sender_setup import GUIDES, steps_for
from shared.adapters.integrations import SOURCES
from shared.domain.senders import SENDERS


def test_every_day_of_the_span_is_drawn_even_without_requests() -> None:
    last = date(2026, 11, 30)
    svg = str(charts.per_day([charts.DayCount(last - timedelta(days=2), 5, 1)], last, 7))
    assert svg.count('class="day"') == 7
    assert 'data-day="2026-11-28" data-requests="5" data-errors="1"' in svg
    assert 'data-day="2026-11-24"' in svg  # the first day of the span, empty
    assert "5 requests (1 errors)" in svg


@given(st.text(max_size=40), st.integers(min_value=0, max_value=10**6))
def test_route_labels_are_escaped_and_nothing_inline_is_styled(route: str, requests: int) -> None:
    svg = str(charts.per_route([charts.RouteCount("GET", route, requests)]))
    assert "<script" not in svg.lower()
    assert " style=" not in svg
    if "<" in route:
        assert "&lt;" in svg


def test_no_requests_is_said_in_words() -> None:
    assert "no requests in this period" in str(charts.per_route([]))


def test_every_sender_has_setup_steps_with_its_url() -> None:
    assert set(GUIDES) == set(SOURCES) == set(SENDERS)
    url = "https://gw.example/webhooks/x/1"
    for source in SOURCES:
        for verification in SENDERS[source].verifications:
            steps = steps_for(source, url, "s3cret-value-1234", verification)
            assert any(step.value == url for step in steps.items), (source, verification)


def test_the_secret_is_pasted_only_when_it_was_just_made() -> None:
    url = "https://gw.example/webhooks/strapi/1"
    fresh = steps_for("strapi", url, "tok-123", "token")
    assert any(step.value == "Bearer tok-123" for step in fresh.items)
    later = steps_for("strapi", url, None, "token")
    assert all("tok-123" not in (step.value or "") for step in later.items)
    assert any("rotate" in step.text for step in later.items)
    # Without the value shown, the step still says the header is "Bearer <secret>".
    assert any(
        "'Bearer ' followed by the integration's secret" in step.text for step in later.items
    )


def _request(cookie: str) -> Request:
    return Request({"type": "http", "headers": [(b"cookie", f"{REVEAL_COOKIE}={cookie}".encode())]})


def test_a_revealed_secret_belongs_to_one_thing_only() -> None:
    key_id, other = uuid.uuid4(), uuid.uuid4()
    held = _request(f"keys:{key_id}:pe_test_abc")
    assert take(held, "keys", key_id) == "pe_test_abc"
    assert take(held, "keys", other) is None
    assert take(held, "integrations", key_id) is None
    assert take(_request(""), "keys", key_id) is None


def test_strapi_steps_say_where_its_relative_image_urls_point() -> None:
    url = "https://gw.example/webhooks/strapi/1"
    set_up = steps_for("strapi", url, None, "token", "https://cms.example.org")
    assert "joined to https://cms.example.org" in set_up.items[-1].text
    missing = steps_for("strapi", url, None, "token", None)
    assert "set this integration's media base URL" in missing.items[-1].text
    sanity = steps_for("sanity", url, None, "signature", None)  # absolute CDN URLs
    assert all("media base URL" not in step.text for step in sanity.items)
