"""offset_problem's quick answer for ordinary wall times agrees with the full check (round
trip through UTC, both folds' offsets) in every zone, near every transition and far from them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.times import _offset_problem, offset_problem


def transition_days(zone: ZoneInfo, year: int) -> list[date]:
    """Days of `year` on which `zone`'s offset at midnight differs from the next midnight's,
    and the day before each (a change at 00:00 falls on the day before's last hours)."""
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        following = day + timedelta(days=1)
        if zone.utcoffset(datetime.combine(day, time())) != zone.utcoffset(
            datetime.combine(following, time())
        ):
            days += [day - timedelta(days=1), day, following]
        day = following
    return days


@st.composite
def wall_times(draw: st.DrawFn, zone: ZoneInfo) -> datetime:
    year = draw(st.integers(1901, 2199))
    near = transition_days(zone, year) if draw(st.booleans()) else []
    day = (
        draw(st.sampled_from(near))
        if near
        else draw(st.dates(date(year, 1, 1), date(year, 12, 31)))
    )
    clock = draw(st.times().map(lambda t: t.replace(microsecond=0)))
    return datetime.combine(day, clock)


@settings(max_examples=1_500)
@given(data=st.data(), zone=st.timezones())
def test_the_quick_answer_is_the_full_checks(data: st.DataObject, zone: ZoneInfo) -> None:
    wall = data.draw(wall_times(zone))
    own = [zone.utcoffset(wall.replace(fold=fold)) for fold in (0, 1)]
    offsets = st.timedeltas(timedelta(hours=-23), timedelta(hours=23)).map(
        lambda d: timedelta(minutes=d // timedelta(minutes=1))
    )
    offset = data.draw(st.one_of(st.sampled_from(own), offsets))
    moment = wall.replace(tzinfo=timezone(offset))
    assert offset_problem(moment, zone) == _offset_problem(moment, wall, zone)


def test_skipped_repeated_and_mismatched_times_are_still_named() -> None:
    new_york = ZoneInfo("America/New_York")
    skipped = datetime(2026, 3, 8, 2, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert offset_problem(skipped, new_york)[0] == "nonexistent_local_time"  # type: ignore[index]
    for hours in (-4, -5):  # 01:30 on the fall-back night happens twice
        repeated = datetime(2026, 11, 1, 1, 30, tzinfo=timezone(timedelta(hours=hours)))
        assert offset_problem(repeated, new_york) is None
    summer_in_winter = datetime(2026, 1, 12, 18, tzinfo=timezone(timedelta(hours=-4)))
    assert offset_problem(summer_in_winter, new_york) == (
        "offset_mismatch",
        "offset -04:00 disagrees with America/New_York on that date, which is -05:00",
    )
