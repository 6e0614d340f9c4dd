"""A sender's recurrence reaches the event: a CMS text field holding an RRULE (as calendar
plugins export it, `RRULE:` prefix and all) and EXDATEs as a list or as comma-separated text;
a rule the subset does not cover is a field error naming the part and where it came from."""

from __future__ import annotations

import pytest

from shared.domain.events import EventInput, InvalidEvent
from shared.domain.mapping import MappingContext, map_event

MAPPING = {
    "title": "name",
    "startAt": "starts",
    "recurrence.rrule": "repeat.rule",
    "recurrence.exdates": "repeat.skip",
    "classifications": "kind",
}
DEFAULTS = {
    "timezone": "Europe/Berlin",
    "city": {"placeId": "place-berlin", "name": "Berlin", "countryCode": "DE"},
}


def mapped(rule: str, skip: object = None) -> EventInput:
    document = {
        "name": "Life drawing",
        "starts": "2030-03-05 19:00:00",  # a Tuesday, local wall time as WordPress sends it
        "kind": "arts",
        "repeat": {"rule": rule, "skip": skip},
    }
    return map_event(
        document, MAPPING, DEFAULTS, MappingContext(), channel_id=42, source_id="post-31",
        status="published",
    ).event  # fmt: skip


@pytest.mark.parametrize("skip", ["2030-03-12, 2030-03-19", ["2030-03-12", "2030-03-19"]])
def test_a_rule_and_its_exdates_become_the_recurrence(skip: object) -> None:
    event = mapped("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6", skip)
    assert event.recurrence is not None
    assert event.recurrence.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=6"
    assert event.recurrence.exdates == ["2030-03-12", "2030-03-19"]


def test_an_unsupported_part_names_the_part_and_its_source() -> None:
    with pytest.raises(InvalidEvent) as refused:
        mapped("FREQ=WEEKLY;BYHOUR=19;COUNT=6")
    assert [e.path for e in refused.value.errors] == ["recurrence.rrule.BYHOUR"]
    assert "repeat.rule" in refused.value.errors[0].message
