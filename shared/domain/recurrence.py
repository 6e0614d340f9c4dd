"""Pure: a recurring event's occurrences, expanded by dateutil's rrule in the event's zone.

The rule runs over naive local wall times from the event's start (RFC 5545's DTSTART with a
TZID), so a class at 19:00 stays at 19:00 local across daylight-saving changes; each wall
time then becomes an instant as RFC 5545 resolves skipped and doubled times
(`times.resolve_wall_time`). A series ends within the horizon: at most `MOST_OCCURRENCES`
occurrences, none more than two years after the start.

An occurrence is named by its series and its original start (RFC 5545's RECURRENCE-ID).
Within the supported subset a series has at most one occurrence per local date, so the
original start's local date names it too, and keeps naming it when the series moves to
another time of day: ids and keys use the date (`occurrence_id`, `occurrence_key`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from shared.domain.rrules import LONGEST_RULE, MOST_OCCURRENCES, InvalidRule, Rule, parse_rule
from shared.domain.storable import EventTime
from shared.domain.times import resolve_wall_time

HORIZON = relativedelta(years=2)
HORIZON_TEXT = "2 years"
# Names occurrence keys; changing it would change every stored plan's key.
OCCURRENCE_NAMESPACE = uuid.UUID("0b9f6c52-7f0e-4d6b-8a43-5c1e2f7d9a18")

_EXDATE_FORMS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
    (re.compile(r"^\d{8}T\d{6}Z$"), "%Y%m%dT%H%M%SZ"),
)
_ID = re.compile(r"^([0-9a-fA-F-]{36})(?:_(\d{4}-\d{2}-\d{2}))?$")


def _canonical_rule(text: str) -> str:
    """The canonical text of a valid rule; an invalid one is kept as sent, for the event's
    checks (`problems`) to report part by part with the event's zone at hand."""
    try:
        return parse_rule(text).text
    except InvalidRule:
        return text


def _exdate(text: str) -> str:
    """`YYYY-MM-DD` for a date, ISO 8601 with its offset for a date-time."""
    value = text.strip()
    for pattern, layout in _EXDATE_FORMS:
        if pattern.match(value):
            try:
                parsed = datetime.strptime(value, layout)
            except ValueError:
                break
            if layout.endswith("Z"):
                return parsed.replace(tzinfo=UTC).isoformat()
            return parsed.date().isoformat()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PydanticCustomError(
            "invalid_exdate",
            "'{value}' is not a date (2026-04-07) or a date-time with its offset "
            "(2026-04-07T19:00:00+02:00)",
            {"value": value},
        )
    return moment.isoformat()


ExDate = Annotated[str, AfterValidator(_exdate)]


class Recurrence(BaseModel):
    """How an event repeats: an RFC 5545 RRULE (the supported subset, see `rrules`) and
    EXDATEs, each removing the occurrence on its local date in the event's zone."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    rrule: Annotated[
        str,
        StringConstraints(min_length=1, max_length=LONGEST_RULE),
        AfterValidator(_canonical_rule),
        Field(
            description="RFC 5545 RRULE: FREQ (DAILY, WEEKLY, MONTHLY), INTERVAL, BYDAY, "
            "BYMONTHDAY, WKST, and COUNT or UNTIL; at most 500 occurrences within 2 years",
            examples=["FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T230000Z"],
        ),
    ]
    exdates: Annotated[
        list[ExDate],
        Field(
            max_length=MOST_OCCURRENCES,
            description="Dates (or date-times) whose occurrence does not take place",
        ),
    ] = []


OccurrenceStatus = Literal["published", "cancelled"]


class OccurrenceOverride(BaseModel):
    """What one occurrence changed on its own: a new start or end, or cancelled. Kept when
    the series changes (moved to the occurrence on the same local date)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recurrenceId: EventTime = Field(description="The occurrence's original start")
    startAt: EventTime | None = None
    endAt: EventTime | None = None
    status: OccurrenceStatus | None = None


@dataclass(frozen=True)
class Occurrence:
    """One occurrence. `day` (the original start's local date) names it in its series."""

    day: date
    recurrence_id: datetime  # the original start, in the event's zone
    start: datetime
    end: datetime | None
    cancelled: bool  # cancelled on its own (the series may be cancelled as a whole)
    overridden: bool = False

    @property
    def moved(self) -> bool:
        return self.start != self.recurrence_id


@dataclass(frozen=True)
class Series:
    """What an expansion needs of a recurring event."""

    start: datetime
    end: datetime | None
    timezone: str
    recurrence: Recurrence
    overrides: tuple[OccurrenceOverride, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Schedule:
    """Original starts in order, before EXDATEs. `beyond_horizon`: COUNT is not reached
    within the horizon, so the rule goes on past it."""

    starts: list[datetime]
    beyond_horizon: bool


def horizon_end(start: datetime, zone: ZoneInfo) -> datetime:
    """The last local wall time a series starting at `start` may have an occurrence at."""
    return start.astimezone(zone).replace(tzinfo=None) + HORIZON


def schedule(rule: Rule, start: datetime, zone: ZoneInfo) -> Schedule:
    """At most MOST_OCCURRENCES + 1 original starts (one more tells the checks the rule has
    too many), none past the horizon; COUNT and UNTIL applied as RFC 5545 says."""
    wall = start.astimezone(zone).replace(tzinfo=None)
    # rrule counts whole seconds (it drops DTSTART's fraction): a start sent with
    # milliseconds keeps them on every occurrence.
    fraction = timedelta(microseconds=wall.microsecond)
    unbounded = replace(rule, count=None, until=None)
    parsed = rrulestr(unbounded.text, dtstart=wall - fraction)
    assert isinstance(parsed, rrule)  # one RRULE, never a set
    expansion = parsed.replace(until=horizon_end(start, zone))
    most = min(rule.count or MOST_OCCURRENCES + 1, MOST_OCCURRENCES + 1)
    starts = []
    for whole in islice(expansion, most):
        local = whole + fraction
        moment = resolve_wall_time(local, zone)
        if not _within_until(rule.until, local, moment):
            break
        starts.append(moment)
    beyond = rule.count is not None and len(starts) < min(rule.count, MOST_OCCURRENCES)
    return Schedule(starts, beyond)


def _within_until(until: datetime | date | None, wall: datetime, moment: datetime) -> bool:
    if isinstance(until, datetime):
        return moment <= until
    if isinstance(until, date):
        return wall.date() <= until
    return True


def exdate_day(exdate: str, zone: ZoneInfo) -> date:
    """The local date an EXDATE (canonical text) removes."""
    if len(exdate) == len("2026-04-07"):
        return date.fromisoformat(exdate)
    return datetime.fromisoformat(exdate).astimezone(zone).date()


def occurrences(series: Series) -> list[Occurrence]:
    """Every occurrence of a valid series, in original order, its own changes applied; the
    ones its EXDATEs remove are left out."""
    zone = series.zone
    rule = parse_rule(series.recurrence.rrule)
    removed = {exdate_day(text, zone) for text in series.recurrence.exdates}
    overrides = {o.recurrenceId.astimezone(zone).date(): o for o in series.overrides}
    duration = series.end - series.start if series.end is not None else None
    found = []
    for original in schedule(rule, series.start, zone).starts[:MOST_OCCURRENCES]:
        day = original.date()
        if day not in removed:
            found.append(_occurrence(day, original, duration, overrides.get(day), zone))
    return found


def _occurrence(
    day: date,
    original: datetime,
    duration: timedelta | None,
    override: OccurrenceOverride | None,
    zone: ZoneInfo,
) -> Occurrence:
    # RFC 5545: every instance lasts the exact duration DTSTART..DTEND gives the first.
    start = original
    end = original + duration if duration is not None else None
    if override is None:
        return Occurrence(day, original, start, end, cancelled=False)
    if override.startAt is not None:
        start = override.startAt.astimezone(zone)
        end = start + duration if duration is not None else None
    if override.endAt is not None:
        end = override.endAt.astimezone(zone)
    cancelled = override.status == "cancelled"
    return Occurrence(day, original, start, end, cancelled, overridden=True)


def excluded_starts(series: Series) -> list[datetime]:
    """The original starts the EXDATEs remove, as iCalendar's EXDATE lists them."""
    zone = series.zone
    removed = {exdate_day(text, zone) for text in series.recurrence.exdates}
    rule = parse_rule(series.recurrence.rrule)
    starts = schedule(rule, series.start, zone).starts[:MOST_OCCURRENCES]
    return [start for start in starts if start.date() in removed]


def utc_until_rule(series: Series) -> str:
    """The rule as iCalendar writes it beside a DTSTART with a TZID: a date UNTIL becomes
    the UTC instant its local date ends at (RFC 5545 wants UNTIL in UTC there)."""
    rule = parse_rule(series.recurrence.rrule)
    if isinstance(rule.until, datetime) or rule.until is None:
        return rule.text
    last_wall = datetime.combine(rule.until, datetime.max.time()).replace(microsecond=0)
    return rule.with_until(resolve_wall_time(last_wall, series.zone).astimezone(UTC))


def occurrence_id(event_id: uuid.UUID, day: date) -> str:
    """The public id of one occurrence: `<event id>_<local date of its original start>`."""
    return f"{event_id}_{day.isoformat()}"


def occurrence_key(event_id: uuid.UUID, day: date) -> uuid.UUID:
    """The uuid plans are stored under for one occurrence (an event's own id for a single
    event): derived from the public id, so any service computes it alone."""
    return uuid.uuid5(OCCURRENCE_NAMESPACE, occurrence_id(event_id, day))


def key_of(public_id: str) -> uuid.UUID | None:
    """The stored key for an event id or an occurrence id; None when it is neither."""
    match = _ID.match(public_id)
    if match is None:
        return None
    try:
        event_id = uuid.UUID(match.group(1))
    except ValueError:
        return None
    day = match.group(2)
    if day is None:
        return event_id
    return uuid.uuid5(OCCURRENCE_NAMESPACE, f"{event_id}_{day}")
