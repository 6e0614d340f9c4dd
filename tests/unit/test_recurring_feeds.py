"""How a feed's cap meets recurring events, pure: the cap counts read-model rows (one per
occurrence); iCalendar writes a series it met once and whole, JSON Feed and Atom its next
occurrences among the rows. Built from the projector's own rows, read back by other libraries."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import icalendar
import pytest
import recurring_ical_events

from services.discovery.feeds.atom import atom_feed
from services.discovery.feeds.ical import ical_event, ical_feed
from services.discovery.feeds.jsonfeed import json_feed
from services.discovery.feeds.model import NEXT_OCCURRENCES, Feed
from services.discovery.projector.rows import projected
from shared.contracts.changes import EventChange
from shared.contracts.event_view import EventView
from tests.examples import docs_example

BERLIN_CITY = {"city": {"placeId": "place-berlin", "name": "Berlin", "countryCode": "DE"}}
# Ten Tuesdays at 19:00 in Berlin from 2 March 2027; the fourth (23 March) cancelled alone.
WEEKLY = {"rrule": "FREQ=WEEKLY;COUNT=10"}
CANCELLED = {"recurrenceId": "2027-03-23T19:00:00+01:00", "status": "cancelled"}
BUILT_AT = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # two Tuesdays past, eight to come


def _change(
    event_id: uuid.UUID, zone: str = "Europe/Berlin", city: Any = BERLIN_CITY, **fields: Any
) -> EventChange:
    now = datetime(2027, 2, 1, tzinfo=UTC)
    body = docs_example(7, timezone=zone, approxLocation=city, **fields)
    view = EventView.model_validate(
        {**body, "id": str(event_id), "status": "published", "createdAt": now, "updatedAt": now}
    )
    return EventChange(
        change_id=1, event_id=event_id, version=1, change="created", changed_at=now,
        owner_id=1, event=view,
    )  # fmt: skip


def _feed(cap: int) -> tuple[Feed, uuid.UUID, uuid.UUID]:
    """A channel's feed as the feed service builds it: a past single event and the weekly
    series, soonest first, cut at `cap` rows; the series' row as discovery_series holds it."""
    single_id, series_id = uuid.uuid4(), uuid.uuid4()
    single = projected(_change(single_id, startAt="2027-03-01T20:00:00+01:00"))
    series = projected(
        _change(series_id, startAt="2027-03-02T19:00:00+01:00", recurrence=WEEKLY,
                occurrenceOverrides=[CANCELLED])
    )  # fmt: skip
    channel = {"channel_name": "Ceramics", "channel_slug": "ceramics"}
    rows = [
        {**dataclasses.asdict(row), **channel}
        for row in sorted([*single.rows, *series.rows], key=lambda r: r.start_at)
    ]
    held = {"event_id": series_id, "version": 1, "event": series.series,
            "changed_at": series.changed_at}  # fmt: skip
    feed = Feed(
        title="Ceramics", description="", page_url="https://example.org/channels/ceramics",
        feed_url="https://example.org/feeds/channels/ceramics.ics",
        base_url="https://example.org", refresh_minutes=60, rows=rows[:cap],
        built_at=BUILT_AT, series={series_id: held},
    )  # fmt: skip
    return feed, single_id, series_id


def _ical_dates(feed: Feed) -> list[tuple[str, str]]:
    calendar = icalendar.Calendar.from_ical(ical_feed(feed))
    found = recurring_ical_events.of(calendar).between(datetime(2027, 1, 1), datetime(2028, 1, 1))
    return sorted((c["DTSTART"].dt.isoformat(), str(c["STATUS"])) for c in found)


def test_the_cap_counts_occurrences_but_ical_writes_the_series_it_met_whole() -> None:
    feed, _, series_id = _feed(cap=4)  # the single event and the first three Tuesdays
    assert len(feed.rows) == 4
    calendar = icalendar.Calendar.from_ical(ical_feed(feed))
    events = list(calendar.walk("VEVENT"))
    masters = [e for e in events if "RRULE" in e]
    assert [str(m["UID"]) for m in masters] == [f"{series_id}@pinned.events"]
    moved = [e for e in events if "RECURRENCE-ID" in e]
    assert [str(e["STATUS"]) for e in moved] == ["CANCELLED"]
    assert len(events) == 3  # the single event, the series, its cancelled Tuesday
    dates = _ical_dates(feed)
    assert len(dates) == 1 + 10  # every Tuesday, those past the cap included
    assert ("2027-03-23T19:00:00+01:00", "CANCELLED") in dates
    assert ("2027-05-04T19:00:00+02:00", "CONFIRMED") in dates  # 19:00 local after the change


def test_json_feed_and_atom_list_the_next_occurrences_among_the_capped_rows() -> None:
    feed, single_id, series_id = _feed(cap=100)
    items = json.loads(json_feed(feed))["items"]
    tuesdays = [i for i in items if i["_pinned"].get("seriesId") == str(series_id)]
    assert len(tuesdays) == NEXT_OCCURRENCES  # of eight to come, the started ones left out
    assert [t["_pinned"]["startAt"][:10] for t in tuesdays] == [
        "2027-03-16", "2027-03-23", "2027-03-30", "2027-04-06", "2027-04-13",
    ]  # fmt: skip
    assert tuesdays[1]["_pinned"]["status"] == "cancelled"
    assert items[0]["id"] == str(single_id)  # a past single event stays, as it always did
    entries = feedparser.parse(atom_feed(feed)).entries
    assert len(entries) == len(items)
    capped, _, _ = _feed(cap=5)  # the single event and four Tuesdays, two of them past
    listed = json.loads(json_feed(capped))["items"]
    assert [i["_pinned"]["startAt"][:10] for i in listed[1:]] == ["2027-03-16", "2027-03-23"]


def _offset_by_embedded_zone(ics: bytes) -> timedelta | None:
    """The first VEVENT's UTC offset read through the feed's own VTIMEZONE, as a calendar
    app that trusts it does (not through any zone database)."""
    calendar = icalendar.Calendar.from_ical(ics)
    zone = next(iter(calendar.walk("VTIMEZONE"))).to_tz(lookup_tzid=False)
    start = next(iter(calendar.walk("VEVENT"))).decoded("DTSTART")
    return start.replace(tzinfo=zone).utcoffset()


@pytest.mark.parametrize(
    ("start", "offset_hours"),
    [("2045-07-15T19:00:00-04:00", -4), ("2045-01-15T19:00:00-05:00", -5),
     ("2026-07-15T19:00:00-04:00", -4), ("2199-07-15T19:00:00-04:00", -4)],
)  # fmt: skip
def test_an_embedded_time_zone_holds_for_every_year_the_feed_spans(
    start: str, offset_hours: int
) -> None:
    new_york = {"city": {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}}
    event_id = uuid.uuid4()
    body = docs_example(7, timezone="America/New_York", approxLocation=new_york, startAt=start)
    body.pop("endAt", None)
    now = datetime(2026, 2, 1, tzinfo=UTC)
    view = EventView.model_validate(
        {**body, "id": str(event_id), "status": "published", "createdAt": now, "updatedAt": now}
    )
    change = EventChange(change_id=1, event_id=event_id, version=1, change="created",
                         changed_at=now, owner_id=1, event=view)  # fmt: skip
    rows = [{**dataclasses.asdict(row), "channel_name": "Gala", "channel_slug": "gala"}
            for row in projected(change).rows]  # fmt: skip
    feed = Feed(
        title="Gala", description="", page_url="https://example.org/channels/gala",
        feed_url="https://example.org/feeds/channels/gala.ics", base_url="https://example.org",
        refresh_minutes=60, rows=rows, built_at=now, series={},
    )  # fmt: skip
    assert _offset_by_embedded_zone(ical_feed(feed)) == timedelta(hours=offset_hours)


WARSAW_CITY = {"city": {"placeId": "place-warsaw", "name": "Warsaw", "countryCode": "PL"}}


@pytest.mark.parametrize(
    ("start", "written"),
    [
        ("2027-10-31T02:30:00+01:00", "DTSTART:20271031T013000Z"),  # the second 02:30
        ("2027-10-31T02:30:00+02:00", "DTSTART;TZID=Europe/Warsaw:20271031T023000"),  # first
        ("2027-10-31T19:00:00+01:00", "DTSTART;TZID=Europe/Warsaw:20271031T190000"),
    ],
)
def test_a_start_in_a_fall_back_hour_reads_back_as_the_instant_stored(
    start: str, written: str
) -> None:
    # RFC 5545 reads a local time that comes twice as its first: the second is written in UTC.
    event_id = uuid.uuid4()
    change = _change(event_id, "Europe/Warsaw", WARSAW_CITY, startAt=start, endAt=None)
    (row,) = projected(change).rows
    text = ical_event(
        {**dataclasses.asdict(row), "channel_name": "Jazz", "channel_slug": "jazz"},
        "https://example.org",
    )
    assert written in text.decode()
    (component,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    # As instants: PEP 495 makes an ambiguous time unequal to any other zone's.
    assert component["DTSTART"].dt.timestamp() == datetime.fromisoformat(start).timestamp()


def test_a_series_starting_in_a_fall_back_hour_keeps_its_wall_time() -> None:
    # An RRULE repeats DTSTART's local time: UTC would move every later week by an hour.
    event_id = uuid.uuid4()
    change = _change(
        event_id, "Europe/Warsaw", WARSAW_CITY, startAt="2027-10-31T02:30:00+01:00", endAt=None,
        recurrence=WEEKLY,
    )  # fmt: skip
    made = projected(change)
    row = {**dataclasses.asdict(made.rows[0]), "channel_name": "Jazz", "channel_slug": "jazz"}
    held = {"event_id": event_id, "version": 1, "event": made.series, "changed_at": made.changed_at}
    text = ical_event(row, "https://example.org", held).decode()
    assert "DTSTART;TZID=Europe/Warsaw:20271031T023000" in text
    assert "RRULE:FREQ=WEEKLY;COUNT=10" in text
