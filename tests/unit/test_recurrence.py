"""Recurring events, pure: rules read part by part, expansion in the event's zone across
daylight-saving changes, EXDATEs, the horizon, occurrences changed on their own, and the
iCalendar a feed writes read back by another library (recurring-ical-events)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.discovery.feeds.ical import components
from services.gateway.submission.batch_model import parse_item
from shared.contracts.event_view import EventView
from shared.domain.events import EventInput, InvalidEvent, parse_event
from shared.domain.occurrences import (
    NoSuchOccurrence,
    carried_overrides,
    occurrence_day,
    parse_occurrence_change,
    with_change,
)
from shared.domain.recurrence import (
    OccurrenceOverride,
    Series,
    key_of,
    occurrence_id,
    occurrence_key,
    occurrences,
)
from shared.domain.rrules import InvalidRule, parse_rule
from tests.examples import docs_example

BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_CITY = {"city": {"placeId": "place-berlin", "name": "Berlin", "countryCode": "DE"}}


def berlin_series(
    rrule: str,
    start: str = "2027-03-02T19:00:00+01:00",
    more: dict[str, Any] | None = None,
    **fields: Any,
) -> EventInput:
    """A Berlin event recurring by `rrule`, with `more` in its recurrence (exdates)."""
    body = docs_example(
        1,
        startAt=start,
        timezone="Europe/Berlin",
        approxLocation=BERLIN_CITY,
        recurrence={"rrule": rrule, **(more or {})},
        **fields,
    )
    return parse_event(body)


def series_of(event: EventInput, overrides: list[OccurrenceOverride] | None = None) -> Series:
    assert event.recurrence is not None
    return Series(
        event.startAt, event.endAt, event.timezone, event.recurrence, tuple(overrides or [])
    )


def starts(event: EventInput, overrides: list[OccurrenceOverride] | None = None) -> list[str]:
    return [o.start.isoformat() for o in occurrences(series_of(event, overrides))]


def test_weekly_at_19_in_berlin_stays_19_local_across_the_march_and_october_changes() -> None:
    # 2027: clocks go forward on 28 March and back on 31 October.
    event = berlin_series("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271116", endAt="2027-03-02T21:00:00+01:00")
    found = occurrences(series_of(event))
    assert {o.start.astimezone(BERLIN).time() for o in found} == {time(19)}
    assert {o.end.astimezone(BERLIN).time() for o in found if o.end} == {time(21)}
    offsets = {o.start.date(): o.start.utcoffset() for o in found}
    assert offsets[date(2027, 3, 23)] == timedelta(hours=1)
    assert offsets[date(2027, 3, 30)] == timedelta(hours=2)  # summer time from 28 March
    assert offsets[date(2027, 10, 26)] == timedelta(hours=2)
    assert offsets[date(2027, 11, 2)] == timedelta(hours=1)  # winter time from 31 October
    assert found[-1].start.date() == date(2027, 11, 16)  # UNTIL as a date: through that day
    assert len(found) == 38


def test_a_monthly_rule_on_the_31st_skips_the_months_without_one() -> None:
    event = berlin_series("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=7", start="2027-01-31T10:00:00+01:00")
    assert [o.start.date().month for o in occurrences(series_of(event))] == [1, 3, 5, 7, 8, 10, 12]


def test_an_exdate_removes_the_occurrence_of_its_local_date_in_any_form() -> None:
    event = berlin_series(
        "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8",
        more={"exdates": ["2027-03-04", "20270309", "2027-03-11T18:00:00Z"]},  # 19:00 Berlin
    )
    days = [o.start.date().isoformat() for o in occurrences(series_of(event))]
    assert days == ["2027-03-02", "2027-03-16", "2027-03-18", "2027-03-23", "2027-03-25"]


def test_skipped_and_doubled_wall_times_resolve_as_rfc_5545_says() -> None:
    spring = berlin_series("FREQ=DAILY;COUNT=3", start="2027-03-27T02:30:00+01:00")
    # 02:30 on 28 March does not exist: read with the offset before the gap, it is 03:30.
    assert starts(spring)[1] == "2027-03-28T03:30:00+02:00"
    autumn = berlin_series("FREQ=DAILY;COUNT=3", start="2027-10-30T02:30:00+02:00")
    # 02:30 on 31 October happens twice: the first of them.
    assert starts(autumn)[1] == "2027-10-31T02:30:00+02:00"


@pytest.mark.parametrize(
    ("rrule", "fields", "expected"),
    [
        ("FREQ=YEARLY;COUNT=3", {}, ("recurrence.rrule.FREQ", "unsupported_frequency")),
        ("FREQ=WEEKLY;BYHOUR=9;COUNT=3", {}, ("recurrence.rrule.BYHOUR", "unsupported_rule_part")),
        ("FREQ=WEEKLY;BYDAY=TUE;COUNT=3", {}, ("recurrence.rrule.BYDAY", "invalid_byday")),
        ("FREQ=WEEKLY;BYDAY=1TU;COUNT=3", {}, ("recurrence.rrule.BYDAY", "ordinal_byday")),
        ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", {},
         ("recurrence.rrule.BYMONTHDAY", "invalid_bymonthday")),
        ("FREQ=WEEKLY;BYDAY=TU", {}, ("recurrence.rrule", "unbounded_rule")),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270401", {}, ("recurrence.rrule.UNTIL", "count_and_until")),
        ("FREQ=WEEKLY;UNTIL=20270401T000000", {}, ("recurrence.rrule.UNTIL", "until_not_utc")),
        ("FREQ=WEEKLY;COUNT=501", {}, ("recurrence.rrule.COUNT", "too_many_occurrences")),
        ("FREQ=MONTHLY;COUNT=30", {}, ("recurrence.rrule.COUNT", "beyond_horizon")),
        ("FREQ=WEEKLY;UNTIL=20290401", {}, ("recurrence.rrule.UNTIL", "beyond_horizon")),
        ("FREQ=DAILY;UNTIL=20281231", {}, ("recurrence.rrule", "too_many_occurrences")),
        ("FREQ=WEEKLY;UNTIL=20270301", {}, ("recurrence.rrule.UNTIL", "until_before_start")),
        ("FREQ=WEEKLY;UNTIL=20270302T175959Z", {},
         ("recurrence.rrule.UNTIL", "until_before_start")),
        ("FREQ=WEEKLY;BYDAY=WE;COUNT=3", {}, ("startAt", "start_not_an_occurrence")),
        ("FREQ=WEEKLY;COUNT=3", {"exdates": ["2027-03-03"]},
         ("recurrence.exdates.0", "exdate_not_an_occurrence")),
        ("FREQ=WEEKLY;COUNT=1", {"exdates": ["2027-03-02"]},
         ("recurrence.exdates", "no_occurrences")),
        ("FREQ=WEEKLY;COUNT=3", {"exdates": ["next week"]},
         ("recurrence.exdates.0", "invalid_exdate")),
        ("FREQ=WEEKLY;COUNT=3", {"until": "2027"}, ("recurrence.until", "extra_forbidden")),
    ],
)  # fmt: skip
def test_each_recurrence_problem_names_the_part_to_fix(
    rrule: str, fields: dict[str, Any], expected: tuple[str, str]
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        berlin_series(rrule, more=fields)
    assert expected in [(e.path, e.code) for e in caught.value.errors]


def test_an_until_before_the_start_says_so_and_one_on_its_day_is_a_single_occurrence() -> None:
    with pytest.raises(InvalidEvent) as caught:
        berlin_series("FREQ=WEEKLY;UNTIL=20270301")
    [error] = caught.value.errors
    assert "before startAt (2027-03-02 19:00 Europe/Berlin)" in error.message
    assert len(starts(berlin_series("FREQ=WEEKLY;UNTIL=20270302"))) == 1
    assert len(starts(berlin_series("FREQ=WEEKLY;UNTIL=20270302T180000Z"))) == 1


def test_a_rule_is_stored_in_its_canonical_form() -> None:
    event = berlin_series("rrule:freq=weekly; byday=tu ;until=20271116T230000Z;wkst=mo")
    assert event.recurrence is not None
    assert event.recurrence.rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271116T230000Z;WKST=MO"
    with pytest.raises(InvalidRule) as caught:
        parse_rule("FREQ=WEEKLY;INTERVAL=0;BYSETPOS=1;COUNT=2")
    assert {p.part for p in caught.value.problems} == {"INTERVAL", "BYSETPOS"}


def test_one_occurrence_moves_or_is_cancelled_on_its_own_and_back() -> None:
    event = berlin_series("FREQ=WEEKLY;COUNT=4", endAt="2027-03-02T20:00:00+01:00")
    moved = with_change(event, [], date(2027, 3, 9), {"startAt": "2027-03-10T18:00:00+01:00"})
    assert moved == [
        OccurrenceOverride(
            recurrenceId=datetime(2027, 3, 9, 19, tzinfo=BERLIN),
            startAt=datetime(2027, 3, 10, 18, tzinfo=BERLIN),
        )
    ]
    found = occurrences(series_of(event, moved))
    assert found[1].start == datetime(2027, 3, 10, 18, tzinfo=BERLIN)
    assert found[1].end == datetime(2027, 3, 10, 19, tzinfo=BERLIN)  # the series' hour
    both = with_change(event, moved, date(2027, 3, 9), {"status": "cancelled"})
    assert (both[0].startAt, both[0].status) == (moved[0].startAt, "cancelled")
    assert (
        with_change(event, both, date(2027, 3, 9), {"status": "published", "startAt": None}) == []
    )


def test_an_occurrence_change_is_checked_like_an_event() -> None:
    event = berlin_series("FREQ=WEEKLY;COUNT=4")
    with pytest.raises(NoSuchOccurrence):
        with_change(event, [], date(2027, 3, 10), {"status": "cancelled"})
    with pytest.raises(InvalidEvent) as caught:
        with_change(event, [], date(2027, 3, 9), {"startAt": "2027-03-09T19:00:00+02:00"})
    assert [(e.path, e.code) for e in caught.value.errors] == [("startAt", "offset_mismatch")]
    with pytest.raises(InvalidEvent) as empty:
        parse_occurrence_change({})
    assert empty.value.errors[0].code == "nothing_to_change"
    with pytest.raises(InvalidEvent) as unknown:
        parse_occurrence_change({"title": "x"})
    assert unknown.value.errors[0].path == "title"


def test_a_series_change_keeps_each_override_on_its_date() -> None:
    event = berlin_series("FREQ=WEEKLY;COUNT=4")
    held = with_change(event, [], date(2027, 3, 16), {"status": "cancelled"})
    later = berlin_series("FREQ=WEEKLY;COUNT=4", start="2027-03-02T18:30:00+01:00")
    carried = carried_overrides(held, "Europe/Berlin", later)
    assert carried == [
        OccurrenceOverride(
            recurrenceId=datetime(2027, 3, 16, 18, 30, tzinfo=BERLIN), status="cancelled"
        )
    ]
    fewer = berlin_series("FREQ=WEEKLY;COUNT=2")
    assert carried_overrides(held, "Europe/Berlin", fewer) == []  # no occurrence that day


def test_occurrence_ids_name_the_series_and_the_local_date() -> None:
    event_id = uuid.uuid4()
    public = occurrence_id(event_id, date(2027, 3, 9))
    assert public == f"{event_id}_2027-03-09"
    assert key_of(public) == occurrence_key(event_id, date(2027, 3, 9))
    assert key_of(str(event_id).upper()) == event_id
    assert key_of("not-an-id") is None
    assert occurrence_day("2027-03-09", BERLIN) == date(2027, 3, 9)
    assert occurrence_day("20270309T180000Z", BERLIN) == date(2027, 3, 9)
    assert occurrence_day("2027-03-09T23:30:00Z", BERLIN) == date(2027, 3, 10)
    assert occurrence_day("yesterday", BERLIN) is None


ZONES = [
    "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
    "America/Sao_Paulo", "Europe/London", "Pacific/Apia", "Asia/Tehran", "UTC",
]  # fmt: skip
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 3))}"]
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY":
        choice = draw(st.sampled_from(["none", "monthday", "nth"]))
        if choice == "monthday":
            parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 29, 30, 31, -1]))}")
        elif choice == "nth":
            parts.append(
                f"BYDAY={draw(st.sampled_from([1, 2, -1]))}{draw(st.sampled_from(WEEKDAYS))}"
            )
    parts.append(f"COUNT={draw(st.integers(1, 20))}")
    return ";".join(parts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rrule=rules(),
    zone=st.sampled_from(ZONES),
    day=st.dates(date(2027, 1, 1), date(2027, 12, 31)),
    wall=st.sampled_from([time(0, 30), time(2, 30), time(9), time(19), time(23, 45)]),
    hours=st.sampled_from([None, 1, 3]),
)
# New York's clocks skip 02:30 on 14 March 2027: the third occurrence falls in the gap.
@example(rrule="FREQ=DAILY;COUNT=3", zone="America/New_York", day=date(2027, 3, 12),
         wall=time(2, 30), hours=None)  # fmt: skip
def test_the_feed_read_back_by_another_library_has_the_same_occurrences(
    rrule: str, zone: str, day: date, wall: time, hours: int | None
) -> None:
    """Whatever the rule and zone: the iCalendar written for a series, expanded by
    recurring-ical-events, gives the occurrences our expansion (search, pages) gives."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, wall, tz).astimezone(UTC).astimezone(tz)  # an existing time
    probe = Series(start, None, zone, _recurrence(rrule))
    first = occurrences(probe)
    if not first:
        return
    start = first[0].start  # the series starts on the rule's first occurrence
    end = (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz) if hours else None
    body = docs_example(1, startAt=start.isoformat(), endAt=end.isoformat() if end else None,
                        timezone=zone, recurrence={"rrule": rrule})  # fmt: skip
    try:
        event = parse_event(body)
    except InvalidEvent as exc:  # a sparse rule whose COUNT runs past the horizon
        problems = {e.code for e in exc.errors}
        if problems != {"beyond_horizon"}:
            raise
        return
    ours = occurrences(series_of(event))
    theirs = _read_back(event)
    # Instants compared: the other library may give a skipped wall time as it was written
    # (02:30, the instant 03:30). Without DTEND it gives each instance DTEND = DTSTART.
    assert [_utc(o.start) for o in ours] == [_utc(start) for start, _, _ in theirs]
    # Ends agree wherever no clock change falls inside an instance, the first or this one.
    # Across one, RFC 5545 says every instance lasts the first's exact duration (ours); the
    # other library takes DTEND - DTSTART and adds it as wall time instead (so a 3-hour
    # first instance over the October change makes 4-hour ones after it, or the reverse).
    steady = end is None or end.utcoffset() == start.utcoffset()
    for occurrence, (their_start, their_end, _) in zip(ours, theirs, strict=True):
        mine = occurrence.end or occurrence.start
        shown = _exists(their_start.replace(tzinfo=None), tz)
        if steady and shown and mine.utcoffset() == their_start.utcoffset():
            assert _utc(mine) == _utc(their_end)
    first = wall_of(ours[0].start, tz)
    for occurrence in ours:  # the same wall time, or a skipped one read before its gap
        wall = datetime.combine(occurrence.recurrence_id.astimezone(tz).date(), first)
        expected = first if _exists(wall, tz) else None
        assert wall_of(occurrence.recurrence_id, tz) == expected or (
            expected is None
            and _utc(occurrence.recurrence_id) == _utc(wall.replace(tzinfo=tz, fold=0))
        )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _recurrence(rrule: str) -> Any:
    from shared.domain.recurrence import Recurrence

    return Recurrence(rrule=rrule)


def wall_of(moment: datetime, zone: ZoneInfo) -> time:
    return moment.astimezone(zone).time()


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the clocks show `wall` in `zone` (PEP 495: fold=0 in a gap reads it with the
    offset before the gap, so the round trip lands elsewhere)."""
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _read_back(event: EventInput) -> list[tuple[datetime, datetime | None, str]]:
    now = datetime.now(UTC)
    series_id = uuid.uuid4()
    view = EventView.model_validate(
        {**event.model_dump(mode="json"), "id": str(series_id), "status": "published",
         "createdAt": now, "updatedAt": now}
    )  # fmt: skip
    held = {"event_id": series_id, "version": 1, "event": view.model_dump(mode="json"),
            "changed_at": now}  # fmt: skip
    row = {"event_id": uuid.uuid4(), "series_id": series_id, "recurrence_id": now,
           "channel_name": "A channel", "channel_slug": "a-channel"}  # fmt: skip
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//")
    calendar.add("version", "2.0")
    for component in components([row], {series_id: held}, "https://example.org"):
        calendar.add_component(component)
    calendar.add_missing_timezones()
    parsed = icalendar.Calendar.from_ical(calendar.to_ical())
    found = recurring_ical_events.of(parsed).between(datetime(2026, 1, 1), datetime(2031, 1, 1))
    return sorted(
        (
            c["DTSTART"].dt,
            c["DTEND"].dt if "DTEND" in c else None,
            str(c.get("STATUS")),
        )
        for c in found
    )


def test_a_batch_item_recurs_too_and_its_errors_carry_the_item_index() -> None:
    item = docs_example(1, startAt="2027-03-02T19:00:00+01:00", timezone="Europe/Berlin",
                        approxLocation=BERLIN_CITY)  # fmt: skip
    fine = parse_item(0, {**item, "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=3"}})
    assert fine.recurrence is not None
    with pytest.raises(InvalidEvent) as caught:
        parse_item(3, {**item, "recurrence": {"rrule": "FREQ=WEEKLY;BYSETPOS=1;COUNT=3"}})
    assert [e.path for e in caught.value.errors] == ["events.3.recurrence.rrule.BYSETPOS"]


def test_a_start_sent_with_milliseconds_is_still_the_first_occurrence() -> None:
    # dateutil's rrule counts whole seconds; JavaScript's toISOString() sends milliseconds.
    event = berlin_series("FREQ=DAILY;COUNT=3", start="2027-03-02T19:00:00.250+01:00")
    assert starts(event) == [
        "2027-03-02T19:00:00.250000+01:00",
        "2027-03-03T19:00:00.250000+01:00",
        "2027-03-04T19:00:00.250000+01:00",
    ]
