"""One description format for the public API, batches and webhooks: the event model stores
every description in it, HTML converted, and a command decoded from Kafka is not converted
again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts.messages import CreateEvent, IngestEnvelope, decode_ingest, encode
from shared.domain import rich_text
from shared.domain.events import EventPatch, InvalidEvent, parse_event, parse_patch
from tests.examples import docs_example


def event_with(description: str) -> dict[str, object]:
    return docs_example(description=description)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Bring a laptop.", "Bring a laptop."),
        ("<p>Bring a <b>laptop</b></p><script>x()</script>", "Bring a **laptop**"),
        ("Line one\nLine two\n\n\n\nLast", "Line one\nLine two\n\nLast"),
        (
            "**Bold** and [docs](https://example.com/docs)",
            "**Bold** and [docs](https://example.com/docs)",
        ),
        ("![poster](https://example.com/p.png) 5 * 3", "5 \\* 3"),
    ],
)
def test_the_api_stores_descriptions_in_the_format(sent: str, stored: str) -> None:
    assert parse_event(event_with(sent)).description == stored
    assert parse_patch({"description": sent}).description == stored


def test_a_description_longer_than_the_limit_once_escaped_is_refused() -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse_event(event_with("[x] " * 2_400))  # each bracket needs a backslash
    assert [(e.path, e.code) for e in refused.value.errors] == [("description", "string_too_long")]


def test_html_longer_than_the_limit_is_taken_when_its_text_fits() -> None:
    # Word-style markup: 1,300 short paragraphs, 10,400 characters sent, under 4,000 stored.
    sent = "<p>x</p>" * 1_300
    stored = parse_event(event_with(sent)).description
    assert stored is not None
    assert len(sent) > 10_000 > len(stored)
    assert parse_patch({"description": sent}).description == stored
    with pytest.raises(InvalidEvent) as refused:
        parse_event(event_with("<p>x</p>" * 25_001))  # past what is read at all
    assert [(e.path, e.code) for e in refused.value.errors] == [("description", "string_too_long")]


def test_a_decoded_command_is_not_converted_again() -> None:
    # The gateway validated it; the publisher decodes it without paying for a reading again.
    # A body only our own code could write (not in the format) shows no conversion runs.
    event = parse_event(event_with("Hi")).model_copy(update={"description": "<b>raw</b>"})
    envelope = IngestEnvelope(
        message_id=uuid.uuid4(),
        request_id="req_test",
        received_at=datetime.now(UTC),
        owner_id=1,
        idempotency_key="k",
        request_hash="h",
        command=CreateEvent(event_id=uuid.uuid4(), event=event),
    )
    decoded = decode_ingest(encode(envelope))
    assert isinstance(decoded.command, CreateEvent)
    assert decoded.command.event.description == "<b>raw</b>"


def test_the_openapi_schema_states_the_format() -> None:
    schema = str(EventPatch.model_json_schema()["properties"]["description"])
    assert "Markdown subset" in schema


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
    | st.text(alphabet="ab 1.-#>\n*_<&", max_size=30)
)
def test_plain_text_passes_untouched_only_when_a_reading_would_not_change_it(text: str) -> None:
    assert rich_text.to_description(text) == (rich_text.from_markdown(text) or "")
