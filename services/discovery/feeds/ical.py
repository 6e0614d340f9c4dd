"""iCalendar (RFC 5545, with RFC 7986's NAME, REFRESH-INTERVAL, SOURCE) by `icalendar`.

UID is the event id, stable across every feed and change; SEQUENCE is the event's version
less one (RFC 5545 starts at 0), so calendars replace an older copy; a cancelled event stays
in the feed with STATUS:CANCELLED so subscribers see it cancelled rather than vanish; every
time is local with its TZID, and a VTIMEZONE is added for each zone used.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vDuration

from services.discovery.feeds.model import Feed
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
    for row in feed.rows:
        calendar.add_component(vevent(row, feed.base_url))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def ical_event(row: dict[str, Any], base_url: str) -> bytes:
    """One event, for "add to calendar"."""
    calendar = _calendar(row["event"]["title"], row["channel_name"])
    calendar.add_component(vevent(row, base_url))
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
    event = row["event"]
    component = Event()
    component.add("uid", f"{row['event_id']}@{UID_DOMAIN}")
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
    component.add("url", base_url + event_path(row["event_id"]))
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
