"""Senders' times as event times.

A local wall time without an offset ("2026-06-12 18:00:00", as The Events Calendar and
WordPress meta send it) is read in the event's zone, refusing one that does not exist there;
an instant with an offset (often UTC) is shown in the event's zone. A naive
`sourceUpdatedAt` is UTC, as WordPress's `*_gmt` fields are. WordPress's zero date
(`0000-00-00 00:00:00`, written into the `*_gmt` dates of drafts) means "unknown".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.events import FieldError

_ZERO_DATE = re.compile(r"0000-00-00(?:[ T]00:00(?::00)?)?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_zero_date(value: Any) -> bool:
    return isinstance(value, str) and bool(_ZERO_DATE.fullmatch(value.strip()))


def parse_time(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None


def instant(raw: str) -> datetime | None:
    """`raw` as an aware instant (without an offset: UTC, as WordPress's `*_gmt` fields
    are); None when it is no date-time (a revision number)."""
    moment = parse_time(raw)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_if_naive(raw: str) -> str:
    """A `sourceUpdatedAt` as an aware ISO 8601 instant; unparseable text is left as it is,
    for validation to name."""
    moment = instant(raw)
    return raw if moment is None else moment.isoformat()


def localize(
    body: dict[str, Any], names: tuple[str, ...] = ("startAt", "endAt")
) -> list[FieldError]:
    """Rewrite `body`'s times in its zone, in place; errors for wall times that do not exist
    there (a DST gap) and for dates without a time of day (read as midnight, they would
    publish an event at a time nobody set). A bad zone is left for validation to name."""
    try:
        zone = ZoneInfo(body["timezone"]) if isinstance(body.get("timezone"), str) else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    errors = []
    for name in names:
        raw = body.get(name)
        if isinstance(raw, str) and _DATE_ONLY.fullmatch(raw.strip()):
            errors.append(FieldError(name, "date_without_time",
                f"'{raw.strip()}' is a date without a time of day: map the time too, e.g. "
                "join('T', [date, time]) of the fields holding them"))  # fmt: skip
            continue
        moment = parse_time(raw) if isinstance(raw, str) else None
        if moment is None or zone is None:
            continue
        if moment.tzinfo is not None:
            body[name] = moment.astimezone(zone).isoformat()
            continue
        local = moment.replace(tzinfo=zone)
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
            errors.append(
                FieldError(
                    name,
                    "nonexistent_local_time",
                    f"{raw} does not exist in {zone.key} (a DST gap)",
                )
            )
            continue
        body[name] = local.isoformat()
    return errors
