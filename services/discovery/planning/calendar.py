"""A person's own calendar (RFC 5545): the events they are going to, interested in or
waitlisted for (never `not_going`), each with their RSVP as the ATTENDEE's PARTSTAT and one
VALARM per reminder (the event's own minutes, else their defaults).

A single event has the same UID and SEQUENCE as the public feeds, so a calendar app that has
it from a channel feed updates one entry. An occurrence is written alone with its own UID
(`<occurrence id>@pinned.events`, as `/events/<occurrence id>.ics` writes it), not as the
series with a RECURRENCE-ID: a person plans dates, not series. Cancelled events stay, marked
cancelled, without alarms; so does an occurrence taken out of its series (`planned`). Drafts
and events of a channel turned private are left out while they are so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from icalendar import Alarm, Calendar, vCalAddress, vText

from services.discovery.feeds.ical import PRODID, add_timezones, vevent
from services.discovery.people.store import Person
from services.discovery.planning.planned import planned_row
from services.discovery.queries.search import ROW_COLUMNS

PARTSTAT = {"going": "ACCEPTED", "interested": "TENTATIVE", "waitlisted": "TENTATIVE"}
PAST_DAYS = 30

CALENDAR_SQL = f"""
SELECT {ROW_COLUMNS}, r.status AS rsvp, coalesce(o.minutes, pe.reminder_minutes) AS minutes
FROM rsvps r
JOIN people pe ON pe.id = r.person_id
{planned_row("r.event_id")}
JOIN channels c ON c.id = d.channel_id
LEFT JOIN reminder_overrides o ON o.person_id = r.person_id AND o.event_id = r.event_id
WHERE r.person_id = $1 AND r.status IN ('going', 'interested', 'waitlisted')
  AND d.status <> 'draft' AND c.visibility <> 'private'
  AND d.start_at > now() - make_interval(days => $2)
ORDER BY d.start_at, d.event_id LIMIT 1000
"""  # noqa: S608  (constant fragments)


async def calendar_rows(pool: asyncpg.Pool, person_id: int) -> list[dict[str, Any]]:
    return [dict(row) for row in await pool.fetch(CALENDAR_SQL, person_id, PAST_DAYS)]


def personal_calendar(person: Person, rows: list[dict[str, Any]], base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", "My Pinned Events plans")
    calendar.add("x-wr-calname", "My Pinned Events plans")
    calendar.add("refresh-interval", timedelta(minutes=15))
    calendar["refresh-interval"].params["VALUE"] = "DURATION"
    for row in rows:
        component = vevent(row, base_url)
        component.add("attendee", _attendee(person, row["rsvp"]))
        if row["status"] != "cancelled":
            for minutes in row["minutes"]:
                component.add_component(_alarm(row["event"]["title"], minutes))
        calendar.add_component(component)
    add_timezones(calendar)
    return bytes(calendar.to_ical())


def _attendee(person: Person, rsvp: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{person.email}")
    attendee.params["CN"] = vText(person.display_name)
    attendee.params["PARTSTAT"] = vText(PARTSTAT[rsvp])
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    return attendee


def _alarm(title: str, minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Reminder: {title}")
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm
