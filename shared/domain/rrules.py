"""Pure: the RFC 5545 `RRULE` subset an event may carry, read part by part.

Supported: FREQ (DAILY, WEEKLY, MONTHLY), INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL, and
WKST (harmless, and calendar exports often carry it). Every other part (BYHOUR, BYSETPOS,
...) is refused with the part named, so an integrator learns what to change instead of
seeing a rule silently half-applied. Names are case-insensitive and an `RRULE:` prefix is
accepted, as exported files carry one; `Rule.text` is the canonical form that is stored.

The subset is chosen so that a series has at most one occurrence per local date (no
BYHOUR, BYMINUTE or BYSECOND): the date of an occurrence's original start names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from shared.core.numerals import ascii_digits

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
SUPPORTED_PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MOST_OCCURRENCES = 500
LONGEST_INTERVAL = 366
LONGEST_RULE = 500  # characters

_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_DATE = re.compile(r"^\d{8}$")
_UNTIL_UTC = re.compile(r"^\d{8}T\d{6}Z$")
_UNTIL_FLOATING = re.compile(r"^\d{8}T\d{6}$")


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong with a rule: `part` is the RRULE part to fix (None: the whole rule)."""

    part: str | None
    code: str
    message: str


class InvalidRule(ValueError):
    """The text is not a rule of the supported subset; `problems` names each part to fix."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    """A parsed rule. `until` is a UTC instant, or a date meaning "through that local date"
    (RFC 5545 ties UNTIL's type to DTSTART's; a date is what people mean by "until June")."""

    freq: str
    interval: int = 1
    byday: tuple[str, ...] = ()
    bymonthday: tuple[int, ...] = ()
    count: int | None = None
    until: datetime | date | None = None
    wkst: str | None = None

    @property
    def text(self) -> str:
        """The canonical RRULE value, e.g. `FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20261215T230000Z`."""
        return self.with_until(self.until)

    def with_until(self, until: datetime | date | None) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(self.byday))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(str(d) for d in self.bymonthday))
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if until is not None:
            parts.append(f"UNTIL={until_text(until)}")
        if self.wkst is not None:
            parts.append(f"WKST={self.wkst}")
        return ";".join(parts)


def until_text(until: datetime | date) -> str:
    if isinstance(until, datetime):
        return until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return until.strftime("%Y%m%d")


def parse_rule(text: str) -> Rule:
    """The rule `text` states, or InvalidRule naming every part to fix."""
    parts, problems = _split(text)
    if not parts:
        raise InvalidRule(problems)
    readers = {
        "FREQ": _freq,
        "INTERVAL": _interval,
        "BYDAY": _byday,
        "BYMONTHDAY": _bymonthday,
        "COUNT": _count,
        "UNTIL": _until,
        "WKST": _wkst,
    }
    values: dict[str, object] = {}
    for name, raw in parts.items():
        try:
            values[name.lower()] = readers[name](raw)
        except _PartError as exc:
            problems.append(RuleProblem(name, exc.code, exc.message))
    problems += _combination_problems(parts, values)
    if problems:
        raise InvalidRule(problems)
    return Rule(**values)  # type: ignore[arg-type]


class _PartError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _split(text: str) -> tuple[dict[str, str], list[RuleProblem]]:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body:
        return {}, [RuleProblem(None, "empty_rule", "the rule is empty; e.g. FREQ=WEEKLY;COUNT=10")]
    if len(body) > LONGEST_RULE:
        return {}, [RuleProblem(None, "rule_too_long", f"at most {LONGEST_RULE} characters")]
    parts: dict[str, str] = {}
    problems: list[RuleProblem] = []
    for piece in body.split(";"):
        name, separator, value = piece.partition("=")
        name = name.strip().upper()
        if not separator or not name or not value.strip():
            problems.append(RuleProblem(None, "malformed_rule", _malformed(piece)))
        elif name not in SUPPORTED_PARTS:
            problems.append(RuleProblem(name, "unsupported_rule_part", _unsupported(name)))
        elif name in parts:
            problems.append(RuleProblem(name, "repeated_rule_part", f"{name} appears twice"))
        else:
            parts[name] = value.strip().upper()
    return parts, problems


def _malformed(piece: str) -> str:
    return f"'{piece}' is not NAME=VALUE; parts are separated by ';', e.g. FREQ=WEEKLY;BYDAY=TU"


def _unsupported(name: str) -> str:
    return f"{name} is not supported; a rule may use {', '.join(SUPPORTED_PARTS)}"


def _freq(raw: str) -> str:
    if raw not in FREQUENCIES:
        raise _PartError(
            "unsupported_frequency", f"FREQ={raw} is not supported; use {', '.join(FREQUENCIES)}"
        )
    return raw


def _positive(raw: str, name: str, most: int) -> int:
    if not ascii_digits(raw) or not 1 <= int(raw) <= most:
        raise _PartError(f"invalid_{name.lower()}", f"{name} must be a whole number 1 to {most}")
    return int(raw)


def _interval(raw: str) -> int:
    return _positive(raw, "INTERVAL", LONGEST_INTERVAL)


def _count(raw: str) -> int:
    if ascii_digits(raw) and int(raw) > MOST_OCCURRENCES:
        raise _PartError(
            "too_many_occurrences",
            f"COUNT={raw} is past the horizon: a series has at most {MOST_OCCURRENCES} occurrences",
        )
    return _positive(raw, "COUNT", MOST_OCCURRENCES)


def _byday(raw: str) -> tuple[str, ...]:
    days = []
    for item in raw.split(","):
        match = _BYDAY.match(item.strip())
        ordinal = match.group(1) if match else None
        if match is None or (ordinal is not None and not 1 <= abs(int(ordinal)) <= 5):
            raise _PartError(
                "invalid_byday",
                f"'{item}' is not a weekday; use MO, TU, WE, TH, FR, SA, SU, with an ordinal "
                "for monthly rules (1TU: the first Tuesday, -1FR: the last Friday)",
            )
        days.append(item.strip().lstrip("+"))
    if len(set(days)) != len(days):
        raise _PartError("invalid_byday", "a weekday appears twice")
    return tuple(days)


def _bymonthday(raw: str) -> tuple[int, ...]:
    days = []
    for item in raw.split(","):
        text = item.strip().lstrip("+")
        number = int(text) if re.fullmatch(r"-?\d{1,2}", text) else 0
        if not 1 <= abs(number) <= 31:
            raise _PartError(
                "invalid_bymonthday", f"'{item}' is not a day of the month (1 to 31, or -1 to -31)"
            )
        days.append(number)
    if len(set(days)) != len(days):
        raise _PartError("invalid_bymonthday", "a day of the month appears twice")
    return tuple(days)


def _until(raw: str) -> datetime | date:
    if _UNTIL_FLOATING.match(raw):
        raise _PartError(
            "until_not_utc",
            f"UNTIL={raw} has no zone; give it in UTC ({raw}Z) or as a date (YYYYMMDD)",
        )
    try:
        if _UNTIL_UTC.match(raw):
            return datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if _UNTIL_DATE.match(raw):
            return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        pass  # digits that are no date, e.g. 20260231
    raise _PartError(
        "invalid_until", f"UNTIL={raw} is not a UTC date-time (20261215T230000Z) or a date"
    )


def _wkst(raw: str) -> str:
    if raw not in WEEKDAYS:
        raise _PartError("invalid_wkst", f"WKST={raw} is not a weekday (MO to SU)")
    return raw


def _combination_problems(parts: dict[str, str], values: dict[str, object]) -> list[RuleProblem]:
    problems = []
    if "FREQ" not in parts:
        problems.append(RuleProblem("FREQ", "missing_frequency", "FREQ is required"))
    if "COUNT" in parts and "UNTIL" in parts:
        problems.append(
            RuleProblem("UNTIL", "count_and_until", "COUNT and UNTIL cannot both be given")
        )
    elif "COUNT" not in parts and "UNTIL" not in parts:
        problems.append(
            RuleProblem(
                None,
                "unbounded_rule",
                f"the rule must end: add COUNT (at most {MOST_OCCURRENCES}) or UNTIL "
                "(at most 2 years after the start)",
            )
        )
    freq = values.get("freq")
    byday = values.get("byday")
    if freq == "WEEKLY" and "BYMONTHDAY" in parts:
        problems.append(
            RuleProblem(
                "BYMONTHDAY", "bymonthday_in_weekly", "BYMONTHDAY is not allowed with WEEKLY"
            )
        )
    if freq != "MONTHLY" and isinstance(byday, tuple) and any(not d.isalpha() for d in byday):
        problems.append(
            RuleProblem("BYDAY", "ordinal_byday", "ordinals such as 1TU or -1FR need FREQ=MONTHLY")
        )
    return problems
