"""Pure: a change record -> the read-model row it becomes, and the feed scopes it touches."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.contracts.changes import EventChange
from shared.domain.places import find as find_place


@dataclass(frozen=True, slots=True)
class ReadRow:
    """One `discovery_events` row; `search_*` are the weighted parts of its tsvector."""

    event_id: uuid.UUID
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


def scopes_of(channel_id: int, place_id: str, classifications: Iterable[str]) -> set[str]:
    """The feed scopes whose content an event in these places appears in."""
    return {
        f"channel:{channel_id}",
        f"place:{place_id}",
        *(f"classification:{c}" for c in classifications),
    }


def read_row(change: EventChange) -> ReadRow:
    event = change.event
    city = event.approxLocation.city
    latitude, longitude = _coordinates(change)
    local_start = event.startAt.astimezone(ZoneInfo(event.timezone))
    venue = event.venue
    return ReadRow(
        event_id=change.event_id,
        version=change.version,
        channel_id=event.channelId,
        status=event.status,
        title=event.title,
        start_at=event.startAt,
        end_at=event.endAt,
        timezone=event.timezone,
        local_date=local_start.date(),
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
        event=event.model_dump(mode="json"),
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
