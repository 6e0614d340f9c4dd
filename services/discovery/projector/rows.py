"""Pure: a change record -> the read-model rows it becomes (one per occurrence; a single
event is a series of one), and the feed scopes it touches."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.contracts.changes import EventChange
from shared.domain.places import find as find_place
from shared.domain.recurrence import Occurrence, Series, occurrence_id, occurrence_key, occurrences


@dataclass(frozen=True, slots=True)
class ReadRow:
    """One `discovery_events` row; `search_*` are the weighted parts of its tsvector."""

    event_id: uuid.UUID  # the row's key: the event's id, or the occurrence key
    series_id: uuid.UUID
    recurrence_id: datetime | None  # an occurrence's original start
    version: int
    channel_id: int
    status: str
    title: str
    start_at: datetime
    end_at: datetime | None
    timezone: str
    local_date: date
    place_id: str
    latitude: float
    longitude: float
    classifications: list[str]
    search_title: str
    search_place: str
    search_text: str
    event: dict[str, Any]
    changed_at: datetime

    def scopes(self) -> set[str]:
        return scopes_of(self.channel_id, self.place_id, self.classifications)


EVERY_EVENT_SCOPE = "events"  # moves with any change: searches with no narrower scope
CHANNELS_SCOPE = "channels"  # bumped by a trigger on the channels table (migration 0015)


def scopes_of(channel_id: int, place_id: str, classifications: Iterable[str]) -> set[str]:
    """The feed and search scopes whose content an event in these places appears in."""
    return {
        EVERY_EVENT_SCOPE,
        f"channel:{channel_id}",
        f"place:{place_id}",
        *(f"classification:{c}" for c in classifications),
    }


@dataclass(frozen=True)
class Projected:
    """One event's new state: its version, its rows, and the whole event when it recurs."""

    event_id: uuid.UUID
    version: int
    changed_at: datetime
    rows: list[ReadRow]
    series: dict[str, Any] | None


def projected(change: EventChange) -> Projected:
    """What a change record makes of its event in the read model."""
    event = change.event
    series = event.model_dump(mode="json") if event.recurrence is not None else None
    return Projected(change.event_id, change.version, change.changed_at, read_rows(change), series)


def read_rows(change: EventChange) -> list[ReadRow]:
    """The event's rows: itself, or each occurrence of a recurring event with its own start,
    end and status (cancelled on its own, or with the whole series)."""
    event = change.event
    if event.recurrence is None:
        view = event.model_dump(mode="json", exclude={"occurrenceOverrides"})
        return [read_row(change, view, None)]
    series = Series(
        event.startAt, event.endAt, event.timezone, event.recurrence,
        tuple(event.occurrenceOverrides),
    )  # fmt: skip
    return [read_row(change, occurrence_view(change, o), o) for o in occurrences(series)]


def occurrence_view(change: EventChange, occurrence: Occurrence) -> dict[str, Any]:
    """The event as one occurrence shows it: its own id, times and status, the series'
    id and original start beside them (RFC 5545's RECURRENCE-ID)."""
    view = change.event.model_dump(mode="json", exclude={"occurrenceOverrides"})
    status = view["status"]
    if occurrence.cancelled and status == "published":
        status = "cancelled"
    return {
        **view,
        "id": occurrence_id(change.event_id, occurrence.day),
        "seriesId": str(change.event_id),
        "recurrenceId": occurrence.recurrence_id.isoformat(),
        "startAt": occurrence.start.isoformat(),
        "endAt": occurrence.end.isoformat() if occurrence.end is not None else None,
        "status": status,
    }


def read_row(change: EventChange, view: dict[str, Any], occurrence: Occurrence | None) -> ReadRow:
    event = change.event
    city = event.approxLocation.city
    latitude, longitude = _coordinates(change)
    start = datetime.fromisoformat(view["startAt"])
    end = view.get("endAt")
    venue = event.venue
    return ReadRow(
        event_id=change.event_id
        if occurrence is None
        else occurrence_key(change.event_id, occurrence.day),
        series_id=change.event_id,
        recurrence_id=occurrence.recurrence_id if occurrence is not None else None,
        version=change.version,
        channel_id=event.channelId,
        status=view["status"],
        title=event.title,
        start_at=start,
        end_at=datetime.fromisoformat(end) if end else None,
        timezone=event.timezone,
        local_date=start.astimezone(ZoneInfo(event.timezone)).date(),
        place_id=city.placeId,
        latitude=latitude,
        longitude=longitude,
        classifications=list(event.classifications),
        search_title=event.title,
        search_place=" ".join(
            part
            for part in (venue.name if venue else None, venue.address if venue else None, city.name)
            if part
        ),
        search_text=event.description or "",
        event=view,
        changed_at=change.changed_at,
    )


def newest_per_event(changes: Sequence[EventChange]) -> list[EventChange]:
    """One record per event, its highest version: a batch may hold several of one event."""
    newest: dict[uuid.UUID, EventChange] = {}
    for change in changes:
        held = newest.get(change.event_id)
        if held is None or change.version > held.version:
            newest[change.event_id] = change
    return list(newest.values())


def _coordinates(change: EventChange) -> tuple[float, float]:
    """The venue's point when the sender gave one, else the city's (from the catalogue)."""
    venue = change.event.venue
    if venue is not None and venue.coordinates is not None:
        return venue.coordinates.lat, venue.coordinates.lng
    place = find_place(change.event.approxLocation.city.placeId)
    if place is None:  # a place id the catalogue dropped since: the event stays findable
        return 0.0, 0.0
    return place.latitude, place.longitude
