"""A recurring event as iCalendar writes it (RFC 5545): one VEVENT with the series' first
start, its RRULE and an EXDATE per removed occurrence, and beside it a VEVENT per occurrence
changed on its own, with the same UID and SEQUENCE and a RECURRENCE-ID naming the original
start (moved: its new DTSTART; cancelled: STATUS:CANCELLED). Calendar apps then show every
occurrence from one entry, at the right local times across daylight-saving changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Event, vRecur

from shared.domain.recurrence import (
    Occurrence,
    OccurrenceOverride,
    Recurrence,
    Series,
    excluded_starts,
    occurrences,
    utc_until_rule,
)

Component = Callable[[dict[str, Any], str], Event]


def series_of(event: dict[str, Any]) -> Series:
    """The Series of an event view (the JSON discovery_series keeps)."""
    end = event.get("endAt")
    return Series(
        start=datetime.fromisoformat(event["startAt"]),
        end=datetime.fromisoformat(end) if end else None,
        timezone=event["timezone"],
        recurrence=Recurrence.model_validate(event["recurrence"]),
        overrides=tuple(
            OccurrenceOverride.model_validate(o) for o in event.get("occurrenceOverrides") or []
        ),
    )


def series_components(
    row: dict[str, Any], held: dict[str, Any], base_url: str, vevent: Component
) -> list[Event]:
    """`row`: any listed occurrence of the series (its channel); `held`: the series' row
    in discovery_series."""
    event = held["event"]
    series = series_of(event)
    master_row = {
        **row,
        "event_id": held["event_id"],
        "version": held["version"],
        "status": event["status"],
        "event": event,
        "changed_at": held["changed_at"],
    }
    master = vevent(master_row, base_url)
    # The RRULE repeats DTSTART's wall time in its zone, so the master's start stays local
    # even where a lone event's would be written in UTC (the second of a fall-back hour).
    for name, moment in (("dtstart", series.start), ("dtend", series.end)):
        if moment is not None and name in master:
            del master[name]
            master.add(name, moment.astimezone(ZoneInfo(series.timezone)))
    master.add("rrule", vRecur.from_ical(utc_until_rule(series)))
    removed = excluded_starts(series)
    if removed:
        master.add("exdate", removed)
    changed = [o for o in occurrences(series) if o.overridden]
    return [master, *(_override(master_row, o, base_url, vevent) for o in changed)]


def _override(
    master_row: dict[str, Any], occurrence: Occurrence, base_url: str, vevent: Component
) -> Event:
    event = master_row["event"]
    cancelled = occurrence.cancelled or master_row["status"] == "cancelled"
    view = {
        **event,
        "startAt": occurrence.start.isoformat(),
        "endAt": occurrence.end.isoformat() if occurrence.end is not None else None,
    }
    component = vevent(
        {**master_row, "event": view, "status": "cancelled" if cancelled else "published"},
        base_url,
    )
    component.add("recurrence-id", occurrence.recurrence_id)
    return component


def recurring_ids(rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """The recurring events some of `rows` are occurrences of, in order."""
    return list(dict.fromkeys(r["series_id"] for r in rows if r["recurrence_id"] is not None))
