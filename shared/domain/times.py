"""Pure: local wall times in IANA zones, and what can be wrong with an instant's offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

_INSTANT: TypeAdapter[datetime] = TypeAdapter(datetime)


def json_instant(moment: datetime) -> str:
    """`moment` as an event's body writes its instants (pydantic's JSON: `Z` for UTC, the
    offset kept otherwise)."""
    text: str = _INSTANT.dump_python(moment, mode="json")
    return text


def offset_problem(moment: datetime, zone: ZoneInfo) -> tuple[str, str] | None:
    """(code, message) when `moment`'s wall time does not exist in `zone` or its offset is
    not the zone's offset on that date; None when it is a true local time there."""
    wall = moment.replace(tzinfo=None)
    # Most wall times are neither skipped nor repeated: both folds give the zone's one
    # offset, and an instant with that offset is a true local time. Two lookups instead of
    # the round trip and the set below (5.8 -> 2.5 us in all, once per date of every event).
    only = zone.utcoffset(wall)
    if only == zone.utcoffset(wall.replace(fold=1)) and moment.utcoffset() == only:
        return None
    return _offset_problem(moment, wall, zone)


def _offset_problem(moment: datetime, wall: datetime, zone: ZoneInfo) -> tuple[str, str] | None:
    if not wall_time_exists(wall, zone):
        return (
            "nonexistent_local_time",
            f"{wall.isoformat()} does not exist in {zone.key} (clocks skip it for daylight "
            "saving time)",
        )
    allowed = {wall.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1)}
    if moment.utcoffset() not in allowed:
        expected = " or ".join(sorted(format_offset(o) for o in allowed if o is not None))
        return (
            "offset_mismatch",
            f"offset {format_offset(moment.utcoffset())} disagrees with {zone.key} on that "
            f"date, which is {expected}",
        )
    return None


def wall_time_exists(wall: datetime, zone: ZoneInfo) -> bool:
    round_trip = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == wall


def format_offset(offset: timedelta | None) -> str:
    seconds = int((offset or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def zone_label(local: datetime) -> str:
    """How people read `local`'s zone beside a time: its abbreviation where the time zone
    database has one ("CET", "EDT"), else its offset from UTC ("UTC-03:00" for São Paulo,
    whose database name for it is the bare "-03")."""
    name = local.tzname() or ""
    return name if name.isalpha() else "UTC" + format_offset(local.utcoffset())


def resolve_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time as an instant, the way RFC 5545 (3.3.5) resolves the odd ones: a
    time the clocks skip is read with the offset before the gap (02:30 becomes 03:30 on a
    spring-forward night), a time that happens twice is its first occurrence. That is
    zoneinfo's fold=0; the result is expressed in the zone."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)
