"""A sender's capacity field reaches the event: form tools and spreadsheets send numbers as
text ("40"), which the mapping reads as a whole number; anything else is a field error."""

from __future__ import annotations

import pytest

from services.gateway.webhooks.mapping import map_event
from services.gateway.webhooks.senders import Delivery
from shared.domain.events import InvalidEvent

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


def delivery(seats: object) -> Delivery:
    document = {"name": "Rooftop salsa", "starts": "2030-06-12 18:00:00", "kind": "music",
                "seats": seats}  # fmt: skip
    return Delivery(action="create", document_id="row-7", document=document)


@pytest.mark.parametrize("seats", [40, "40", " 40 "])
def test_a_number_or_its_text_becomes_the_capacity(seats: object) -> None:
    event = map_event(delivery(seats), MAPPING, DEFAULTS, channel_id=42, status="published")
    assert event.capacity == 40


@pytest.mark.parametrize("seats", ["forty", "4.5", -3])
def test_anything_else_names_the_capacity_field_and_its_source(seats: object) -> None:
    with pytest.raises(InvalidEvent) as refused:
        map_event(delivery(seats), MAPPING, DEFAULTS, channel_id=42, status="published")
    assert [e.path for e in refused.value.errors] == ["capacity"]
    assert "seats" in refused.value.errors[0].message
