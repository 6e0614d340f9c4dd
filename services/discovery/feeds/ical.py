"""iCalendar (RFC 5545, with RFC 7986's NAME, REFRESH-INTERVAL, SOURCE) by `icalendar`.

UID is the event id, stable across every feed and change; SEQUENCE is the event's version
less one (RFC 5545 starts at 0), so calendars replace an older copy; a cancelled event stays
in the feed with STATUS:CANCELLED so subscribers see it cancelled rather than vanish; every
time is local with its TZID (UTC for the second of a fall-back hour's twice-shown times), and
a VTIMEZONE is added for each zone used. A recurring event
is one VEVENT with its RRULE, plus its changed occurrences (`series_ical`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, Timezone, vDuration

from services.discovery.feeds.content import entry_text, location_text
from services.discovery.feeds.model import Feed
from services.discovery.feeds.series_ical import series_components
from services.discovery.web.views import classification_names, event_path, local_end, local_start
from shared.domain.recurrence import HORIZON as RECURRENCE_HORIZON

PRODID = "-//Pinned Events//Discovery//EN"
UID_DOMAIN = "pinned.events"


def ical_feed(feed: Feed) -> bytes:
    calendar = _calendar(feed.title, feed.description)
    calendar.add("refresh-interval", timedelta(minutes=feed.refresh_minutes))
    calendar["refresh-interval"].params["VALUE"] = "DURATION"
    # Outlook's older spelling of the same; an x-property is text unless typed here.
    calendar.add("x-published-ttl", vDuration(timedelta(minutes=feed.refresh_minutes)))
    calendar.add("source", feed.feed_url)
    calendar["source"].params["VALUE"] = "URI"
    calendar.add("url", feed.page_url)
    for component in components(feed.rows, feed.series, feed.base_url):
        calendar.add_component(component)
    add_timezones(calendar)
    return bytes(calendar.to_ical())


def components(
    rows: list[dict[str, Any]], series: dict[uuid.UUID, dict[str, Any]], base_url: str
) -> list[Event]:
    """A VEVENT per single event; a recurring event's VEVENTs once, where its first listed
    occurrence is."""
    found: list[Event] = []
    written: set[uuid.UUID] = set()
    for row in rows:
        if row["recurrence_id"] is None:
            found.append(vevent(row, base_url))
        elif row["series_id"] not in written and row["series_id"] in series:
            written.add(row["series_id"])
            found += series_components(row, series[row["series_id"]], base_url, vevent)
    return found


def ical_event(row: dict[str, Any], base_url: str, series: dict[str, Any] | None = None) -> bytes:
    """One event (or one occurrence), or with `series` every occurrence of a recurring
    event, for "add to calendar"."""
    calendar = _calendar(row["event"]["title"], row["channel_name"])
    found = (
        series_components(row, series, base_url, vevent)
        if series is not None
        else [vevent(row, base_url)]
    )
    for component in found:
        calendar.add_component(component)
    add_timezones(calendar)
    return bytes(calendar.to_ical())


def add_timezones(calendar: Calendar) -> None:
    """A VTIMEZONE for each zone the calendar's events use, with its transitions over every
    year they span. icalendar's default span stops at 2038: an event after it (the API takes
    dates to 2199) would read an hour off in a calendar app that trusts the VTIMEZONE."""
    first, last = _years_spanned(calendar)
    calendar.add_missing_timezones(first_date=first, last_date=last)


def _years_spanned(calendar: Calendar) -> tuple[date, date]:
    """From January 1st of the earliest year an event touches to January 1st after the last;
    a series counted by COUNT runs at most RECURRENCE_HORIZON past its start."""
    found: list[date] = []
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            if name in event:
                found.append(_day(event.decoded(name)))
        rule = event.get("RRULE")
        if rule is not None and "DTSTART" in event:
            start = _day(event.decoded("DTSTART"))
            found += [_day(until) for until in rule.get("UNTIL", [])]
            if "COUNT" in rule:
                found.append(start + RECURRENCE_HORIZON)
    if not found:
        return Timezone.DEFAULT_FIRST_DATE, Timezone.DEFAULT_LAST_DATE
    return date(min(found).year, 1, 1), date(max(found).year + 1, 1, 1)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def unambiguous(local: datetime) -> datetime:
    """`local` as DTSTART and DTEND write it: its wall time with TZID, or UTC when that wall
    time comes twice and `local` is its second (a fall-back hour): RFC 5545 (3.3.5) reads an
    ambiguous local time as its first, an hour early."""
    if local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset():
        return local.astimezone(UTC)
    return local


def _calendar(name: str, description: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", description)
    return calendar


def vevent(row: dict[str, Any], base_url: str) -> Event:
    """One VEVENT; its UID is the event's id (an occurrence listed alone has its own)."""
    event = row["event"]
    component = Event()
    component.add("uid", f"{event['id']}@{UID_DOMAIN}")
    component.add("sequence", max(0, row["version"] - 1))
    component.add("dtstamp", row["changed_at"])
    component.add("created", datetime.fromisoformat(event["createdAt"]))
    component.add("last-modified", datetime.fromisoformat(event["updatedAt"]))
    component.add("dtstart", unambiguous(local_start(event)))
    end = local_end(event)
    if end is not None:
        component.add("dtend", unambiguous(end))
    cancelled = row["status"] == "cancelled"
    component.add("summary", ("Cancelled: " if cancelled else "") + event["title"])
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    component.add("location", location_text(event))
    coordinates = (event.get("venue") or {}).get("coordinates")
    if coordinates:
        component.add("geo", (coordinates["lat"], coordinates["lng"]))
    component.add("url", base_url + event_path(event["id"]))
    component.add("categories", classification_names(event))
    component.add("description", entry_text(row, base_url))
    return component
