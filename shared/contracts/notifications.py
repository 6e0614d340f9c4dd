"""The notifications topic's record: a reminder that fell due, from the scheduler to the
notifier (which writes it to the person's inbox).

Keyed by person id on `Topic.NOTIFICATIONS`, so one person's notices stay in order. The
scheduler may send a record again after a crash (it marks reminders sent only after the
broker has them); `notification_id` is derived from the reminder and its due instant, and the
inbox stores each id once, so a record seen twice is one notice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.messages import decode_as


class ReminderDue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    type: Literal["reminder"] = "reminder"
    notification_id: uuid.UUID
    person_id: int
    event_id: uuid.UUID
    minutes_before: int
    due_at: datetime
    emitted_at: datetime  # on the scheduler's clock
    event_title: str
    event_start_at: datetime
    event_timezone: str


def encode_reminder(reminder: ReminderDue) -> bytes:
    return reminder.model_dump_json().encode()


def decode_reminder(raw: bytes | None) -> ReminderDue:
    """Raises messages.PoisonMessage for bytes that are not a version-1 reminder."""
    return decode_as(ReminderDue, raw)
