"""Pure: what can be wrong with an event's recurrence, field by field, for the API's errors.

Each problem names the field to fix, down to the RRULE part (`recurrence.rrule.BYDAY`), an
EXDATE (`recurrence.exdates.2`) or `startAt` when the start is not the rule's first
occurrence (RFC 5545 counts DTSTART as the first; requiring it to match the rule keeps every
library's expansion the same).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.domain.recurrence import (
    HORIZON_TEXT,
    Recurrence,
    exdate_day,
    horizon_end,
    schedule,
)
from shared.domain.rrules import MOST_OCCURRENCES, InvalidRule, Rule, parse_rule

RULE = "recurrence.rrule"
Problem = tuple[str, str, str]  # path, code, message


def recurrence_problems(recurrence: Recurrence, start: datetime, zone: ZoneInfo) -> list[Problem]:
    try:
        rule = parse_rule(recurrence.rrule)
    except InvalidRule as exc:
        return [(f"{RULE}.{p.part}" if p.part else RULE, p.code, p.message) for p in exc.problems]
    until = _until_problem(rule, start, zone)
    if until is not None:
        return [until]
    planned = schedule(rule, start, zone)
    if planned.beyond_horizon:
        return [(f"{RULE}.COUNT", "beyond_horizon", _beyond(rule, start, zone))]
    if len(planned.starts) > MOST_OCCURRENCES:
        return [(RULE, "too_many_occurrences", _too_many())]
    if not planned.starts or planned.starts[0] != start.astimezone(zone):
        problem = _not_first(rule, start, zone, planned.starts)
        return [("startAt", "start_not_an_occurrence", problem)]
    return _exdate_problems(recurrence, {s.date() for s in planned.starts}, zone)


def _until_problem(rule: Rule, start: datetime, zone: ZoneInfo) -> Problem | None:
    last = horizon_end(start, zone)
    until = rule.until
    if until is None:
        return None
    local_start = start.astimezone(zone)
    early = until < start if isinstance(until, datetime) else until < local_start.date()
    if early:
        return (
            f"{RULE}.UNTIL",
            "until_before_start",
            f"UNTIL ({_until_text(until, zone)}) is before startAt "
            f"({local_start:%Y-%m-%d %H:%M} {zone.key}), so the series would have no "
            "occurrence; end it on or after its first",
        )
    late = (
        until.astimezone(zone).replace(tzinfo=None) > last
        if isinstance(until, datetime)
        else until > last.date()
    )
    if late:
        return (
            f"{RULE}.UNTIL",
            "beyond_horizon",
            f"UNTIL is more than {HORIZON_TEXT} after startAt; the series may run until "
            f"{last.date().isoformat()} at the latest",
        )
    return None


def _until_text(until: date | datetime, zone: ZoneInfo) -> str:
    if isinstance(until, datetime):
        return f"{until.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
    return until.isoformat()


def _beyond(rule: Rule, start: datetime, zone: ZoneInfo) -> str:
    return (
        f"COUNT={rule.count} runs past the horizon of {HORIZON_TEXT} "
        f"(until {horizon_end(start, zone).date().isoformat()}); lower COUNT or end with UNTIL"
    )


def _too_many() -> str:
    return (
        f"the rule makes more than {MOST_OCCURRENCES} occurrences; end it sooner (UNTIL) "
        "or space them out (INTERVAL)"
    )


def _not_first(rule: Rule, start: datetime, zone: ZoneInfo, starts: list[datetime]) -> str:
    local = start.astimezone(zone)
    said = f"startAt ({local:%A %Y-%m-%d %H:%M}) is not an occurrence of {rule.text}"
    if starts:
        return f"{said}; its first is {starts[0]:%A %Y-%m-%d %H:%M}: start the series there"
    return f"{said}; the rule has no occurrence within {HORIZON_TEXT} of it"


def _exdate_problems(recurrence: Recurrence, days: set[date], zone: ZoneInfo) -> list[Problem]:
    problems = []
    removed = set()
    for index, text in enumerate(recurrence.exdates):
        day = exdate_day(text, zone)
        removed.add(day)
        if day not in days:
            problems.append(
                (
                    f"recurrence.exdates.{index}",
                    "exdate_not_an_occurrence",
                    f"{day.isoformat()} ({day:%A}) has no occurrence to remove in {zone.key}",
                )
            )
    if not problems and days <= removed:
        problems.append(
            ("recurrence.exdates", "no_occurrences", "the EXDATEs remove every occurrence")
        )
    return problems
