"""The discovery service's pure parts: local-date bounds, cursors, the read-model row,
JSON-LD that no event text can break out of, prices and feed entries' content."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.discovery.feeds.content import entry_html, entry_text
from services.discovery.projector.rows import newest_per_event, read_rows
from services.discovery.queries.search import (
    InvalidCursor,
    Near,
    Position,
    SearchQuery,
    decode_cursor,
    earliest_instant,
    encode_cursor,
    latest_instant,
    search_sql,
)
from services.discovery.web.views import offers_of, price_text, script_json
from shared.contracts.changes import EventChange
from shared.contracts.event_view import EventView
from tests.examples import RICH, docs_example

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
)
def test_the_instant_bounds_of_a_local_date_hold_every_event_of_that_date(
    zone: str, moment: datetime
) -> None:
    """Whatever the zone, an event whose local start falls on a day starts within that day's
    widest instants: the start_at range narrows the scan without dropping an event."""
    local = moment.replace(tzinfo=ZoneInfo(zone))
    day = local.date()
    assert earliest_instant(day) <= local.astimezone(UTC) < latest_instant(day)


def as_cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HOSTILE_JSON = st.one_of(
    st.integers(1, 5_000).map(lambda depth: b"[" * depth + b"]" * depth),  # past json's own
    st.integers(1, 3_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),  # limit
    st.sampled_from([b"NaN", b"[1, 2]", b'["a", "b", "c", "d"]', b"null", b'{"a": 1, "a": 2}']),
    st.binary(max_size=64),
)


@given(raw=HOSTILE_JSON)
def test_any_cursor_text_is_refused_as_a_cursor_never_as_a_crash(raw: bytes) -> None:
    # A cursor is the client's to send back: 1,100 brackets deep made json.loads raise
    # RecursionError, which no handler caught.
    query = SearchQuery(place_id="place-paris", text="jazz", limit=10)
    with pytest.raises(InvalidCursor):
        decode_cursor(query, as_cursor(raw))


def test_a_cursor_only_continues_the_search_it_came_from() -> None:
    query = SearchQuery(place_id="place-paris", text="jazz", limit=10)
    position = Position(datetime(2027, 1, 2, 3, 4, tzinfo=UTC), uuid.uuid4())
    cursor = encode_cursor(query, position)
    assert decode_cursor(query, cursor) == position
    assert decode_cursor(SearchQuery(place_id="place-paris", text="jazz", limit=50), cursor)
    with pytest.raises(InvalidCursor):
        decode_cursor(SearchQuery(place_id="place-paris", text="salsa"), cursor)
    for damaged in ("", "abc", cursor[:-3], "eyJ4IjogMX0"):
        with pytest.raises(InvalidCursor):
            decode_cursor(query, damaged)


def test_every_filter_is_bound_never_spliced() -> None:
    hostile = "'; DROP TABLE events; --"
    sql, args = search_sql(
        SearchQuery(
            place_id=hostile,
            near=Near(1.0, 2.0, 3.0),
            date_from=date(2027, 1, 1),
            date_to=date(2027, 1, 2),
            classification=hostile,
            text=hostile,
            after=Position(datetime(2027, 1, 1, tzinfo=UTC), uuid.uuid4()),
        )
    )
    assert hostile not in sql
    assert args.count(hostile) == 3
    assert sql.rstrip().endswith(f"LIMIT ${len(args)}")
    assert args[-1] == 21  # one more than the page, to know whether another follows


@given(st.text())
def test_json_ld_survives_any_text_inside_a_script_element(text: str) -> None:
    rendered = script_json({"name": text, "description": f"</script>{text}<!--"})
    assert "<" not in rendered
    assert ">" not in rendered
    assert json.loads(rendered) == {"name": text, "description": f"</script>{text}<!--"}


def _change(version: int, **fields: object) -> EventChange:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    body = docs_example(7, **{"startAt": "2027-03-28T01:30:00+01:00",
                              "timezone": "Europe/Paris", **fields})  # fmt: skip
    body["approxLocation"] = {
        "city": {"placeId": "place-paris", "name": "Paris", "countryCode": "FR"}
    }
    view = EventView.model_validate(
        {
            **body,
            "id": str(uuid.UUID(int=1)),
            "status": "published",
            "createdAt": now,
            "updatedAt": now + timedelta(seconds=version),
        }
    )
    return EventChange(
        change_id=version, event_id=uuid.UUID(int=1), version=version, change="updated",
        changed_at=now, owner_id=1, event=view,
    )  # fmt: skip


def test_the_read_row_keeps_the_local_date_and_falls_back_to_the_city_point() -> None:
    row = read_rows(_change(1))[0]
    assert row.local_date == date(2027, 3, 28)  # 00:30 UTC on the 28th is 01:30 in Paris
    assert (round(row.latitude, 1), round(row.longitude, 1)) == (48.9, 2.3)
    assert row.scopes() == {"events", "channel:7", "place:place-paris", "classification:music"}
    with_venue = read_rows(_change(2, venue=RICH["venue"]))[0]
    assert (with_venue.latitude, with_venue.longitude) == (40.7057, -74.0014)
    assert "Pier 17" in with_venue.search_place


def test_only_the_newest_record_of_an_event_in_a_batch_is_kept() -> None:
    batch = [_change(3), _change(1), _change(5), _change(4)]
    assert [c.version for c in newest_per_event(batch)] == [5]


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        ({"min": 25.0, "max": 40.0, "currency": "USD"}, "$25\N{EN DASH}$40"),
        ({"min": 25, "max": 25, "currency": "EUR"}, "€25"),
        ({"min": 12.5, "max": 12.5, "currency": "USD"}, "$12.50"),
        ({"min": 0, "max": 25.5, "currency": "GBP"}, "£0.00\N{EN DASH}£25.50"),
        ({"min": 2500, "max": 2500.5, "currency": "JPY"}, "¥2,500"),
        ({"min": 1.5, "max": 1.5, "currency": "KWD"}, "KWD\u00a01.500"),
        # CLDR's currency spacing: a symbol ending in a letter stands apart from the digits.
        ({"min": 25, "max": 40, "currency": "CHF"}, "CHF\u00a025\N{EN DASH}CHF\u00a040"),
        ({"min": 12.5, "max": 20, "currency": "CHF"}, "CHF\u00a012.50\N{EN DASH}CHF\u00a020.00"),
        ({"min": 1200, "max": 1200, "currency": "CAD"}, "CA$1,200"),
        ({"min": 0, "max": 0, "currency": "USD"}, "Free"),
    ],
)
def test_prices_show_as_money_in_their_currency(price: dict[str, Any], shown: str) -> None:
    assert price_text(price) == shown


def test_a_price_without_a_ticket_link_is_still_an_offer() -> None:
    price = {"min": 25, "max": 40, "currency": "CHF"}
    (offer,) = offers_of({"price": price})
    assert offer == {
        "@type": "Offer", "priceCurrency": "CHF",
        "priceSpecification": {"@type": "PriceSpecification", "minPrice": 25, "maxPrice": 40,
                               "priceCurrency": "CHF"},
    }  # fmt: skip
    assert offers_of({}) == []


def test_feed_entries_carry_the_description_as_text_and_as_sanitized_html() -> None:
    row = {
        "event": {
            "description": "Bring a **laptop**.\n\n[Programme](https://jazz.example/p)",
            "ticketLinks": [{"url": "https://tickets.example/e?a=1&b=2", "label": "Buy <now>"}],
        },
        "channel_name": "Jazz & Co",
        "channel_slug": "jazz",
    }
    assert entry_text(row, "https://pinned.example") == (
        "Bring a laptop.\n\nProgramme (https://jazz.example/p)\n\n"
        "Buy <now>: https://tickets.example/e?a=1&b=2\n\n"
        "Jazz & Co: https://pinned.example/channels/jazz"
    )
    rel = 'rel="nofollow ugc noopener"'
    assert entry_html(row, "https://pinned.example") == (
        "<p>Bring a <strong>laptop</strong>.</p>\n"
        f'<p><a href="https://jazz.example/p" {rel}>Programme</a></p>\n'
        f'<p><a href="https://tickets.example/e?a=1&amp;b=2" {rel}>Buy &lt;now&gt;</a></p>\n'
        f'<p><a href="https://pinned.example/channels/jazz" {rel}>Jazz &amp; Co</a></p>'
    )
