"""Event ids in paths: an event's uuid, or an occurrence's id (`<event id>_<YYYY-MM-DD>`,
the local date of its original start). Routes declare `{eventId:event}`; handlers get an
EventRef: `key` is what the read model and planning store the row under (the event's id,
or the occurrence key derived from the occurrence id), `public` the id as given."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from shared.domain.recurrence import key_of

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


@dataclass(frozen=True)
class EventRef:
    key: uuid.UUID
    public: str


class EventRefConvertor(Convertor[EventRef]):
    regex = _UUID + "(?:_[0-9]{4}-[0-9]{2}-[0-9]{2})?"

    def convert(self, value: str) -> EventRef:
        key = key_of(value)
        assert key is not None  # the regex admits only what key_of reads
        return EventRef(key, value.lower())

    def to_string(self, value: EventRef) -> str:
        return value.public


def register_event_convertor() -> None:
    """Make `{name:event}` known to routes built after it (idempotent)."""
    register_url_convertor("event", EventRefConvertor())


def event_ref(request: Request) -> EventRef:
    ref: EventRef = request.path_params["eventId"]
    return ref
