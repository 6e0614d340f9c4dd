"""Pure: what an RSVP does to an event's attendance, with capacity and a waitlist.

A person answers `going`, `interested` or `not_going`. `going` past the event's capacity is
stored as `waitlisted`; a place freed (someone leaves, the capacity grows or goes) promotes
the earliest waitlisted people, as many as there are free places. The caller applies a
decision while it holds the event's lock, so decisions are made one at a time per event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Answer = Literal["going", "interested", "not_going"]
RsvpStatus = Literal["going", "interested", "not_going", "waitlisted"]
ANSWERS: tuple[Answer, ...] = ("going", "interested", "not_going")
# Statuses that count as planning to attend: they get reminders; their events are planned.
PLANNING: tuple[RsvpStatus, ...] = ("going", "interested", "waitlisted")


@dataclass(frozen=True)
class Attendance:
    """An event's counts; `capacity` None means no limit."""

    capacity: int | None
    going: int = 0
    interested: int = 0
    waitlisted: int = 0

    def free_places(self) -> int | None:
        """Places left for `going` (never negative: a capacity lowered below the people
        already going leaves them going); None when there is no limit."""
        return None if self.capacity is None else max(0, self.capacity - self.going)

    def promotable(self) -> int:
        """How many waitlisted people the free places admit now."""
        free = self.free_places()
        return self.waitlisted if free is None else min(self.waitlisted, free)

    def counted(self, status: RsvpStatus | None, delta: int) -> Attendance:
        if status in ("going", "interested", "waitlisted"):
            return replace(self, **{status: getattr(self, status) + delta})
        return self

    def promoted(self, count: int) -> Attendance:
        return replace(self, going=self.going + count, waitlisted=self.waitlisted - count)


@dataclass(frozen=True)
class RsvpDecision:
    """What to store for the person, the counts after it (promotions included) and how many
    of the earliest waitlisted to promote."""

    stored: RsvpStatus | None
    attendance: Attendance
    promote: int
    keeps_waitlist_place: bool


def decide(current: RsvpStatus | None, answer: Answer | None, before: Attendance) -> RsvpDecision:
    """The person's new status for `answer` (None: withdraw the RSVP) given the stored one.

    A waitlisted person who answers `going` again keeps their place in the line; anyone
    else answering `going` gets a free place or joins the end of the waitlist."""
    stored = _stored_status(current, answer, before)
    after = before.counted(current, -1).counted(stored, +1)
    promote = after.promotable()
    return RsvpDecision(
        stored=stored,
        attendance=after.promoted(promote),
        promote=promote,
        keeps_waitlist_place=current == stored == "waitlisted",
    )


def _stored_status(
    current: RsvpStatus | None, answer: Answer | None, before: Attendance
) -> RsvpStatus | None:
    if answer != "going":
        return answer
    if current in ("going", "waitlisted"):
        return current
    free = before.free_places()
    # Nobody jumps the line: a free place goes to the waitlist first.
    if free is None or (free > 0 and before.waitlisted == 0):
        return "going"
    return "waitlisted"


def with_capacity(before: Attendance, capacity: int | None) -> tuple[Attendance, int]:
    """The counts after the event's capacity changed, and how many to promote."""
    after = replace(before, capacity=capacity)
    promote = after.promotable()
    return after.promoted(promote), promote
