"""Pure: one occurrence of a recurring event changed on its own, and a series change that
keeps those changes.

`PATCH /events/{eventId}/occurrences/{start}` moves or cancels one occurrence: its change
merges into the occurrence's override, kept beside the event (never in what the integrator
sent, so a resend of the series does not wipe it). A series change keeps every override on
the occurrence of the same local date, or drops it when the rule no longer has one there.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from shared.domain.events import EventInput, FieldError, InvalidEvent
from shared.domain.recurrence import (
    Occurrence,
    OccurrenceOverride,
    OccurrenceStatus,
    Series,
    occurrences,
)
from shared.domain.storable import EventTime, storable_validation
from shared.domain.times import offset_problem

_BASIC_UTC = re.compile(r"^\d{8}T\d{6}Z$")


class OccurrenceChange(BaseModel):
    """The body of `PATCH /events/{eventId}/occurrences/{start}`: a new start and/or end
    (`null` puts it back to the series' time), or `status` cancelled (published restores)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    startAt: EventTime | None = None
    endAt: EventTime | None = None
    status: OccurrenceStatus | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


def stored_overrides(raw: list[dict[str, Any]]) -> list[OccurrenceOverride]:
    """The overrides as `events.occurrence_overrides` holds them (JSON)."""
    return [OccurrenceOverride.model_validate(item) for item in raw]


class NoSuchOccurrence(LookupError):
    """The series has no occurrence on that date (never had, or an EXDATE removed it)."""


def parse_occurrence_change(payload: object) -> OccurrenceChange:
    with storable_validation(payload, InvalidEvent):
        change = OccurrenceChange.model_validate(payload)
    if not change.changes():
        raise InvalidEvent(
            [FieldError("body", "nothing_to_change", "send startAt, endAt or status")]
        )
    return change


def occurrence_day(start: str, zone: ZoneInfo) -> date | None:
    """The local date an occurrence reference names: a date (2026-03-24), or the original
    start as an ISO 8601 instant with its offset or in RFC 5545's basic UTC form
    (20260324T180000Z); None when it is none of these."""
    text = start.strip()
    try:
        if _BASIC_UTC.match(text):
            moment = datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        elif len(text) == len("2026-03-24"):
            return date.fromisoformat(text)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(zone).date() if moment.tzinfo is not None else None


def series_of(event: EventInput, overrides: list[OccurrenceOverride]) -> Series:
    assert event.recurrence is not None
    return Series(event.startAt, event.endAt, event.timezone, event.recurrence, tuple(overrides))


def occurrence_on(event: EventInput, overrides: list[OccurrenceOverride], day: date) -> Occurrence:
    """The occurrence on `day` with its own changes; NoSuchOccurrence when there is none."""
    for occurrence in occurrences(series_of(event, overrides)):
        if occurrence.day == day:
            return occurrence
    raise NoSuchOccurrence(day)


def with_change(
    event: EventInput, overrides: list[OccurrenceOverride], day: date, changes: dict[str, Any]
) -> list[OccurrenceOverride]:
    """The overrides after `changes` to the occurrence on `day` (sorted, without ones that
    change nothing). NoSuchOccurrence, or InvalidEvent naming the field to fix."""
    plain = occurrence_on(event, [], day)
    zone = ZoneInfo(event.timezone)
    kept = [o for o in overrides if o.recurrenceId.astimezone(zone).date() != day]
    held = next((o for o in overrides if o not in kept), None)
    merged = {
        **(held.model_dump(mode="json") if held else {}),
        **changes,
        "recurrenceId": plain.recurrence_id.isoformat(),
    }
    override = _checked(OccurrenceOverride.model_validate(merged), plain, zone)
    if override is not None:
        kept.append(override)
    return sorted(kept, key=lambda o: o.recurrenceId)


def _checked(
    override: OccurrenceOverride, plain: Occurrence, zone: ZoneInfo
) -> OccurrenceOverride | None:
    errors = [
        FieldError(name, *problem)
        for name, moment in (("startAt", override.startAt), ("endAt", override.endAt))
        if moment is not None and (problem := offset_problem(moment, zone)) is not None
    ]
    if errors:
        raise InvalidEvent(errors)
    start = override.startAt or plain.start
    if override.endAt is not None and override.endAt < start:
        raise InvalidEvent([FieldError("endAt", "end_before_start", "endAt is before startAt")])
    simplest = OccurrenceOverride(
        recurrenceId=override.recurrenceId,
        startAt=None if override.startAt == plain.start else override.startAt,
        endAt=None if override.endAt is None or _default_end(override, plain) else override.endAt,
        status="cancelled" if override.status == "cancelled" else None,
    )
    if simplest.startAt is None and simplest.endAt is None and simplest.status is None:
        return None
    return simplest


def _default_end(override: OccurrenceOverride, plain: Occurrence) -> bool:
    """Whether the end is what the series' duration gives the (possibly moved) start."""
    if plain.end is None:
        return False
    start = override.startAt or plain.start
    return override.endAt == start + (plain.end - plain.start)


def carried_overrides(
    held: list[OccurrenceOverride], held_zone: str, event: EventInput
) -> list[OccurrenceOverride]:
    """After a series change: each override on the occurrence of the same local date (its
    recurrenceId that occurrence's original start now), or dropped when there is none."""
    if event.recurrence is None or not held:
        return []
    by_day = {o.day: o for o in occurrences(series_of(event, []))}
    zone = ZoneInfo(held_zone)
    carried = []
    for override in held:
        target = by_day.get(override.recurrenceId.astimezone(zone).date())
        if target is not None:
            carried.append(override.model_copy(update={"recurrenceId": target.recurrence_id}))
    return carried


def occurrence_on_day(
    event: EventInput, overrides: list[OccurrenceOverride], day: date
) -> Occurrence | None:
    """The occurrence on `day` with its own changes, or None (no longer in the series)."""
    try:
        return occurrence_on(event, overrides, day)
    except NoSuchOccurrence:
        return None


def planned_status(series_status: str, occurrence: Occurrence | None) -> str:
    """What planning holds of an occurrence: the series' status, cancelled when it was
    cancelled on its own or is no longer in the series."""
    if occurrence is None or (occurrence.cancelled and series_status == "published"):
        return "cancelled"
    return series_status
