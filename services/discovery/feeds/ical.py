"""iCalendar (RFC 5545, with RFC 7986's NAME, REFRESH-INTERVAL, SOURCE) by `icalendar`.

UID is the event id, stable across every feed and change; SEQUENCE is the event's version
less one (RFC 5545 starts at 0), so calendars replace an older copy; a cancelled event stays
in the feed with STATUS:CANCELLED so subscribers see it cancelled rather than vanish; every
time is local with its TZID, and a VTIMEZONE is added for each zone used. A recurring event
is one VEVENT with its RRULE, plus its changed occurrences (`series_ical`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vDuration

from services.discovery.feeds.model import Feed
from services.discovery.feeds.series_ical import series_components
from services.discovery.web.views import classification_names, event_path, local_end, local_start

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
    calendar.add_missing_timezones()
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
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


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
    component.add("dtstart", local_start(event))
    end = local_end(event)
    if end is not None:
        component.add("dtend", end)
    cancelled = row["status"] == "cancelled"
    component.add("summary", ("Cancelled: " if cancelled else "") + event["title"])
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    component.add("location", location_text(event))
    coordinates = (event.get("venue") or {}).get("coordinates")
    if coordinates:
        component.add("geo", (coordinates["lat"], coordinates["lng"]))
    component.add("url", base_url + event_path(event["id"]))
    component.add("categories", classification_names(event))
    component.add("description", description_text(row, base_url))
    return component


def location_text(event: dict[str, Any]) -> str:
    venue = event.get("venue") or {}
    city = event["approxLocation"]["city"]
    parts = [venue.get("name"), venue.get("address"), f"{city['name']}, {city['countryCode']}"]
    return ", ".join(part for part in parts if part)


def description_text(row: dict[str, Any], base_url: str) -> str:
    event = row["event"]
    lines = [event.get("description") or ""]
    lines += [
        f"{link.get('label') or 'Tickets'}: {link['url']}"
        for link in event.get("ticketLinks") or []
    ]
    lines.append(f"{row['channel_name']}: {base_url}/channels/{row['channel_slug']}")
    return "\n\n".join(line for line in lines if line)
