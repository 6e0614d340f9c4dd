"""A sender's capacity field reaches the event: form tools and spreadsheets send numbers as
text ("40"), which the mapping reads as a whole number; anything else is a field error."""

from __future__ import annotations

import pytest

from shared.domain.events import EventInput, InvalidEvent
from shared.domain.mapping import MappingContext, map_event

MAPPING = {
    "title": "name",
    "startAt": "starts",
    "capacity": "seats",
    "classifications": "kind",
}
DEFAULTS = {
    "timezone": "America/New_York",
    "city": {"placeId": "place-new-york", "name": "New York", "countryCode": "US"},
}


def mapped(seats: object) -> EventInput:
    document = {"name": "Rooftop salsa", "starts": "2030-06-12 18:00:00", "kind": "music",
                "seats": seats}  # fmt: skip
    return map_event(
        document, MAPPING, DEFAULTS, MappingContext(), channel_id=42, source_id="row-7",
        status="published",
    ).event  # fmt: skip


@pytest.mark.parametrize("seats", [40, "40", " 40 ", 40.0])  # 40.0: some number fields
def test_a_number_or_its_text_becomes_the_capacity(seats: object) -> None:
    assert mapped(seats).capacity == 40


@pytest.mark.parametrize("seats", ["forty", "4.5", -3, 4.5, True])
def test_anything_else_names_the_capacity_field_and_its_source(seats: object) -> None:
    with pytest.raises(InvalidEvent) as refused:
        mapped(seats)
    assert [e.path for e in refused.value.errors] == ["capacity"]
    assert "seats" in refused.value.errors[0].message
