"""Pure: reminder offsets, the ids that make every notice idempotent, and notice texts.

A reminder is "N minutes before the event starts"; a person has defaults (1 day and 1 hour
before, until they change them) and may override them for one event. A notice's id is
derived from what it is about, so the same notice delivered twice is stored once, while a
reminder re-armed for a moved event (another due instant) is a new notice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field

from shared.domain.times import zone_label

DEFAULT_MINUTES: tuple[int, ...] = (1440, 60)
MOST_REMINDERS = 5
LONGEST_MINUTES = 28 * 24 * 60  # four weeks before

NOTICE_NAMESPACE = uuid.UUID("5d0c7a3e-2f4b-4c8e-9b61-3a7e0f9d2c44")

NoticeKind = Literal[
    "reminder",
    "event_moved",
    "event_cancelled",
    "event_unpublished",
    "waitlist_promoted",
    "friend_request",
    "friend_accepted",
]


def _distinct_descending(minutes: list[int]) -> list[int]:
    if len(set(minutes)) != len(minutes):
        raise ValueError("each reminder offset may appear once")
    return sorted(minutes, reverse=True)


ReminderMinutes = Annotated[
    list[Annotated[int, Field(ge=1, le=LONGEST_MINUTES)]],
    Field(max_length=MOST_REMINDERS, description="minutes before the start, e.g. [1440, 60]"),
    AfterValidator(_distinct_descending),
]


def reminder_id(person_id: int, event_id: uuid.UUID, minutes: int, due_at: datetime) -> uuid.UUID:
    """One reminder at one due instant: the same when sent again, new when the event moved."""
    key = f"reminder:{person_id}:{event_id}:{minutes}:{due_at.timestamp():.0f}"
    return uuid.uuid5(NOTICE_NAMESPACE, key)


def change_notice_id(
    person_id: int, event_id: uuid.UUID, version: int, kind: NoticeKind
) -> uuid.UUID:
    return uuid.uuid5(NOTICE_NAMESPACE, f"{kind}:{person_id}:{event_id}:{version}")


def promotion_id(person_id: int, event_id: uuid.UUID, waitlist_seq: int) -> uuid.UUID:
    return uuid.uuid5(NOTICE_NAMESPACE, f"promoted:{person_id}:{event_id}:{waitlist_seq}")


def friend_notice_id(kind: NoticeKind, person_id: int, other_id: int, at: datetime) -> uuid.UUID:
    return uuid.uuid5(NOTICE_NAMESPACE, f"{kind}:{person_id}:{other_id}:{at.isoformat()}")


def before_text(minutes: int) -> str:
    """1440 -> "1 day", 90 -> "1 hour 30 minutes"."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (mins, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


def local_time_text(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y, %H:%M} ({zone_label(local)})"


def reminder_text(title: str, start_at: datetime, zone: str, minutes: int) -> tuple[str, str]:
    return (
        f"{title} starts in {before_text(minutes)}",
        f"{title} starts {local_time_text(start_at, zone)}.",
    )


def moved_text(title: str, start_at: datetime, zone: str) -> tuple[str, str]:
    return (
        f"{title} has moved",
        f"{title} now starts {local_time_text(start_at, zone)}. Your reminders moved with it.",
    )


def cancelled_text(title: str, start_at: datetime, zone: str) -> tuple[str, str]:
    return (
        f"{title} is cancelled",
        f"{title}, planned for {local_time_text(start_at, zone)}, is cancelled.",
    )


def unpublished_text(title: str, start_at: datetime, zone: str) -> tuple[str, str]:
    return (
        f"{title} is no longer published",
        f"{title}, planned for {local_time_text(start_at, zone)}, was taken back by its "
        "organizer. Your plans are kept in case it returns; its reminders are paused.",
    )


def promoted_text(title: str, start_at: datetime, zone: str) -> tuple[str, str]:
    return (
        f"You're going to {title}",
        f"A place opened and you moved up from the waitlist: {title}, "
        f"{local_time_text(start_at, zone)}.",
    )


def due_instant(start_at: datetime, minutes: int) -> datetime:
    return start_at - timedelta(minutes=minutes)
