"""Unit tests of planning's pure parts: attendance decisions (property-tested against a
model of the waitlist), reminder offsets and notice ids, people's secrets, cursors and the
scheduler's clocks."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.discovery.feeds.service import none_match
from services.discovery.planning import cursors
from services.discovery.queries.search import Position as SearchPosition
from services.discovery.queries.search import SearchQuery, encode_cursor
from services.discovery.web.errors import InvalidParameter
from services.discovery.web.views import city_name
from services.notifier.worker import reminder_notice
from services.scheduler.clock import FileClock
from shared.adapters.plans import Held, public_event_id
from shared.contracts.notifications import ReminderDue
from shared.domain.attendance import Attendance, RsvpStatus, decide, with_capacity
from shared.domain.recurrence import key_of, occurrence_id, occurrence_key
from shared.domain.reminders import ReminderMinutes, before_text, reminder_id
from shared.domain.times import zone_label
from shared.domain.tokens import (
    CALENDAR_PREFIX,
    SESSION_PREFIX,
    csrf_token,
    new_token,
    token_hash,
    well_formed,
)

Answer = str | None
Step = tuple[int, Answer]


class Event:
    """A model of one event's RSVPs, applying `decide` the way the store does: the person's
    row, then the earliest waitlisted promoted."""

    def __init__(self, capacity: int | None) -> None:
        self.attendance = Attendance(capacity)
        self.status: dict[int, RsvpStatus] = {}
        self.line: list[int] = []  # waitlist, earliest first
        self.promoted: list[int] = []

    def answer(self, person: int, answer: Answer) -> None:
        decision = decide(self.status.get(person), answer, self.attendance)  # type: ignore[arg-type]
        if not decision.keeps_waitlist_place and person in self.line:
            self.line.remove(person)
        if decision.stored is None:
            self.status.pop(person, None)
        else:
            self.status[person] = decision.stored
            if decision.stored == "waitlisted" and person not in self.line:
                self.line.append(person)
        self.promote(decision.promote)
        self.attendance = decision.attendance

    def promote(self, count: int) -> None:
        for person in self.line[:count]:
            self.status[person] = "going"
            self.promoted.append(person)
        self.line = self.line[count:]

    def counted(self, status: RsvpStatus) -> int:
        return sum(1 for s in self.status.values() if s == status)


answers = st.sampled_from(["going", "interested", "not_going", None])
steps = st.lists(st.tuples(st.integers(0, 12), answers), max_size=80)


@settings(max_examples=300, deadline=None)
@given(capacity=st.one_of(st.none(), st.integers(1, 6)), script=steps)
def test_attendance_never_overfills_and_never_leaves_a_place_to_a_waiting_line(
    capacity: int | None, script: list[Step]
) -> None:
    event = Event(capacity)
    for person, answer in script:
        event.answer(person, answer)
        a = event.attendance
        assert a.going == event.counted("going")
        assert a.interested == event.counted("interested")
        assert a.waitlisted == event.counted("waitlisted") == len(event.line)
        if capacity is not None:
            assert a.going <= capacity
        assert a.waitlisted == 0 or a.free_places() == 0, "a free place while people wait"


@settings(max_examples=200, deadline=None)
@given(script=steps, grown=st.integers(0, 5))
def test_a_bigger_capacity_promotes_the_earliest_waiting_first(
    script: list[Step], grown: int
) -> None:
    event = Event(3)
    for person, answer in script:
        event.answer(person, answer)
    waiting = list(event.line)
    after, promote = with_capacity(event.attendance, 3 + grown)
    assert promote == min(len(waiting), grown + (event.attendance.free_places() or 0))
    assert after.going == event.attendance.going + promote
    event.promote(promote)
    assert event.promoted[-promote:] == waiting[:promote] if promote else True


def test_going_when_full_waits_and_answering_again_keeps_the_place() -> None:
    event = Event(1)
    event.answer(1, "going")
    event.answer(2, "going")
    event.answer(3, "going")
    assert (event.status[2], event.status[3]) == ("waitlisted", "waitlisted")
    event.answer(2, "going")
    assert event.line == [2, 3], "answering going again keeps the place"
    event.answer(1, "not_going")
    assert event.status[2] == "going"
    assert event.line == [3]
    unlimited, promote = with_capacity(event.attendance, None)
    assert (promote, unlimited.waitlisted, unlimited.free_places()) == (1, 0, None)


minutes = TypeAdapter(ReminderMinutes)


def test_reminder_offsets_are_distinct_bounded_and_sorted() -> None:
    assert minutes.validate_python([60, 1440]) == [1440, 60]
    assert minutes.validate_python([]) == []
    for bad in ([60, 60], [0], [28 * 24 * 60 + 1], [1, 2, 3, 4, 5, 6]):
        with pytest.raises(ValidationError):
            minutes.validate_python(bad)


def test_a_reminder_id_is_the_same_when_sent_again_and_new_when_its_instant_moves() -> None:
    event = uuid.uuid4()
    due = datetime(2030, 6, 11, 22, tzinfo=UTC)
    same = datetime(2030, 6, 11, 18, tzinfo=datetime.fromisoformat("2030-01-01T00:00-04:00").tzinfo)
    assert reminder_id(1, event, 60, due) == reminder_id(1, event, 60, same)
    assert reminder_id(1, event, 60, due) != reminder_id(1, event, 60, due + timedelta(days=2))
    assert reminder_id(1, event, 60, due) != reminder_id(2, event, 60, due)


@pytest.mark.parametrize(
    ("offset", "text"),
    [(1440, "1 day"), (60, "1 hour"), (90, "1 hour 30 minutes"), (2880, "2 days"), (1, "1 minute")],
)
def test_offsets_read_as_people_say_them(offset: int, text: str) -> None:
    assert before_text(offset) == text


def test_a_reminder_notice_names_the_event_and_its_local_time() -> None:
    start = datetime(2030, 6, 12, 22, tzinfo=UTC)
    notice = reminder_notice(
        ReminderDue(notification_id=uuid.uuid4(), person_id=7, event_id=uuid.uuid4(),
                    minutes_before=60, due_at=start - timedelta(hours=1), emitted_at=start,
                    event_title="Jazz", event_start_at=start, event_timezone="America/New_York")
    )  # fmt: skip
    assert notice.title == "Jazz starts in 1 hour"
    assert notice.body == "Jazz starts Wed 12 Jun 2030, 18:00 (EDT)."
    assert notice.person_id == 7


def test_tokens_say_what_they_are_and_only_their_hash_is_kept() -> None:
    token, stored = new_token(SESSION_PREFIX)
    assert well_formed(token, SESSION_PREFIX)
    assert not well_formed(token, CALENDAR_PREFIX)
    assert not well_formed(token + "x", SESSION_PREFIX)
    assert stored == token_hash(token)
    assert token.encode() not in stored
    other, _ = new_token(SESSION_PREFIX)
    assert csrf_token(token) != csrf_token(other)
    assert csrf_token(token) == csrf_token(token)


def test_cursors_round_trip_and_stay_in_their_listing() -> None:
    position = (datetime(2030, 1, 1, tzinfo=UTC), uuid.uuid4())
    raw = cursors.encode("feed", position)
    assert cursors.decode("feed", raw) == position
    search = encode_cursor(SearchQuery(), SearchPosition(position[0], position[1]))
    for listing, cursor, problem in (
        ("saves", raw, "belongs to another listing"),
        ("feed", search, "belongs to another listing"),  # a search's: readable, not damaged
        ("feed", "garbage!", "is damaged"),
    ):
        with pytest.raises(InvalidParameter) as refused:
            cursors.decode(listing, cursor)
        assert refused.value.problem.startswith(problem), listing
    assert cursors.decode("feed", None) is None


@given(depth=st.integers(1, 5_000))
def test_a_cursor_nested_deep_is_damaged_not_a_crash(depth: int) -> None:
    cursor = base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode()
    with pytest.raises(InvalidParameter):
        cursors.decode("feed", cursor)


def test_the_file_clock_reads_its_instant_or_falls_back_to_the_system(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    (tmp_path / "clock").write_text("2030-06-12T18:00:00-04:00\n")
    assert clock.now() == datetime(2030, 6, 12, 22, tzinfo=UTC)
    (tmp_path / "clock").write_text("2030-06-12T18:00:00")
    with pytest.raises(ValueError, match="offset"):
        clock.now()


_ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "UTC"])
_INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1),
                         timezones=st.just(UTC))  # fmt: skip


@given(_INSTANTS, st.none() | _INSTANTS, _ZONES, st.booleans())
def test_a_planning_rows_public_id_leads_back_to_its_key(
    start: datetime, original: datetime | None, zone: str, occurrence: bool
) -> None:
    """What the inbox answers as a notice's eventId is the id whose stored key the notice
    holds: an occurrence's (named by its original start's local date, or by its start's when
    a single event turned recurring kept no original), or the single event's own."""
    held = Held(start, None, zone, original)
    series = uuid.uuid4()
    key = occurrence_key(series, held.day()) if occurrence else series
    public = public_event_id(key, series if occurrence else None, held)
    assert key_of(public) == key
    assert public == (occurrence_id(series, held.day()) if occurrence else str(series))


@pytest.mark.parametrize(
    ("header", "matches"),
    [(None, False), ("", False), ("*", True), (' * ', True), ('"abc"', True), ('W/"abc"', True),
     ('"x", "abc"', True), ('"abcd"', False), ('"ab"', False), ('abc', False)],
)  # fmt: skip
def test_if_none_match_as_rfc_9110_reads_it(header: str | None, matches: bool) -> None:
    assert none_match(header, '"abc"') is matches


@pytest.mark.parametrize(
    ("zone", "label"),
    [("America/Sao_Paulo", "UTC-03:00"), ("Asia/Dubai", "UTC+04:00"),
     ("Europe/Berlin", "CEST"), ("America/New_York", "EDT"), ("UTC", "UTC")],
)  # fmt: skip
def test_a_zone_without_an_abbreviation_shows_its_offset(zone: str, label: str) -> None:
    # The time zone database's name for São Paulo's time is the bare "-03".
    assert zone_label(datetime(2027, 7, 1, 12, tzinfo=ZoneInfo(zone))) == label


def test_a_city_shows_as_the_catalogue_names_it() -> None:
    sent = {"placeId": "place-krakow", "name": "Krakow", "countryCode": "PL"}
    assert city_name(sent) == "Kraków"
    assert city_name({**sent, "placeId": "place-gone-zz"}) == "Krakow"
