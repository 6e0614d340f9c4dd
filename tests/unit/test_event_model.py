"""Event validation at the edge: every rule a person can fix names the field to fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.events import EventPatch, InvalidEvent, apply_patch, parse_event, parse_patch
from shared.domain.storable import unstorable_values
from tests.examples import RICH
from tests.examples import docs_example as example


def docs_example(**changes: Any) -> dict[str, Any]:
    """The docs' example; a value of ... drops that field."""
    body = example(**changes)
    return {k: v for k, v in body.items() if v is not ...}


def errors_of(payload: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(payload)
    return [(e.path, e.code) for e in caught.value.errors]


def test_docs_example_is_valid_and_published_by_default() -> None:
    event = parse_event(docs_example())
    assert event.channelId == 42
    assert event.status == "published"
    assert event.startAt.utcoffset() is not None


def test_draft_status_is_kept() -> None:
    assert parse_event(docs_example(status="draft")).status == "draft"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": ...}, ("title", "missing")),
        ({"title": ""}, ("title", "string_too_short")),
        ({"timezone": "Mars/Olympus_Mons"}, ("timezone", "unknown_timezone")),
        (
            {"classifications": ["music", "polka-rave"]},
            ("classifications", "unknown_classification"),
        ),
        ({"classifications": []}, ("classifications", "too_short")),
        ({"startAt": "2026-06-12T18:00:00"}, ("startAt", "timezone_aware")),
        ({"startAt": "2026-06-12T18:00:00-05:00"}, ("startAt", "offset_mismatch")),
        ({"startAt": "2026-03-08T02:30:00-05:00"}, ("startAt", "nonexistent_local_time")),
        ({"endAt": "2026-06-12T17:00:00-04:00"}, ("endAt", "end_before_start")),
        ({"status": "archived"}, ("status", "literal_error")),
        ({"channelId": "forty-two"}, ("channelId", "int_type")),
        ({"channelId": 2**63}, ("channelId", "less_than_equal")),  # past PostgreSQL's bigint
        ({"ownerId": 7}, ("ownerId", "extra_forbidden")),
        ({"title": "Jazz\u0000Night"}, ("title", "nul_character")),
        ({"title": "Jazz\ud800Night"}, ("title", "invalid_unicode")),
        ({"sourceId": "wp-\u0000"}, ("sourceId", "nul_character")),
        ({"startAt": "9999-12-31T23:00:00-05:00"}, ("startAt", "date_out_of_range")),
        ({"startAt": "0001-01-01T00:00:00+00:00"}, ("startAt", "date_out_of_range")),
        ({"endAt": "2200-12-31T23:00:00-05:00"}, ("endAt", "date_out_of_range")),  # UTC: 2201
        (
            {"sourceUpdatedAt": "0001-01-01T00:00:00+01:00"},
            ("sourceUpdatedAt", "date_out_of_range"),
        ),
        ({"id": "chosen-by-caller"}, ("id", "extra_forbidden")),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in errors_of(docs_example(**changes))


def test_unknown_place_and_wrong_country_name_their_field() -> None:
    city = {"placeId": "place-nowhere-xyzzy", "name": "Nowhere", "countryCode": "US"}
    assert ("approxLocation.city.placeId", "unknown_place") in errors_of(
        docs_example(approxLocation={"city": city})
    )
    paris_in_us = {"placeId": "place-paris", "name": "Paris", "countryCode": "US"}
    assert ("approxLocation.city.countryCode", "country_mismatch") in errors_of(
        docs_example(approxLocation={"city": paris_in_us})
    )


def test_docs_place_ids_work_as_written() -> None:
    for place_id, country in (("place-new-york", "US"), ("place-london", "GB")):
        city = {"placeId": place_id, "name": "x", "countryCode": country}
        assert parse_event(docs_example(approxLocation={"city": city}))


def test_venue_images_tickets_and_price_are_accepted() -> None:
    event = parse_event(docs_example(**RICH))
    assert event.venue is not None
    assert event.venue.coordinates is not None
    assert event.price is not None
    assert event.price.max == 25.5


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"images": [{"url": "http://cdn.example.com/a.jpg", "alt": "x"}]},
            ("images.0.url", "https_required"),
        ),
        ({"images": [{"url": "https://cdn.example.com/a.jpg"}]}, ("images.0.alt", "missing")),
        (
            {"ticketLinks": [{"url": "javascript:alert(1)"}]},
            ("ticketLinks.0.url", "https_required"),
        ),
        ({"price": {"min": 30, "max": 10, "currency": "USD"}}, ("price", "price_range_inverted")),
        (
            {"price": {"min": 1, "max": 2, "currency": "usd"}},
            ("price.currency", "string_pattern_mismatch"),
        ),
        (
            {"venue": {"name": "Pier", "coordinates": {"lat": 91, "lng": 0}}},
            ("venue.coordinates.lat", "less_than_equal"),
        ),
        ({"capacity": 0}, ("capacity", "greater_than_equal")),
        ({"capacity": 2.5}, ("capacity", "int_type")),
        ({"capacity": 1_000_001}, ("capacity", "less_than_equal")),
        (
            {"price": {"min": 0, "max": float("inf"), "currency": "USD"}},
            ("price.max", "non_finite_number"),
        ),
        ({"price": {"min": 0, "max": 10**13, "currency": "USD"}}, ("price.max", "less_than_equal")),
        (
            {"images": [{"url": "https://x.example/a.jpg", "alt": "\u0000"}]},
            ("images.0.alt", "nul_character"),
        ),
        (
            {"venue": {"name": "Pier", "address": "89\u0000South St"}},
            ("venue.address", "nul_character"),
        ),
        (
            {"ticketLinks": [{"url": "https://t.example/\udfff"}]},
            ("ticketLinks.0.url", "invalid_unicode"),
        ),
    ],
)
def test_rich_fields_name_what_to_fix(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in errors_of(docs_example(**changes))


def test_capacity_is_optional_and_a_whole_number_of_places() -> None:
    assert parse_event(docs_example()).capacity is None
    assert parse_event(docs_example(capacity=40)).capacity == 40


def test_nested_paths_are_dotted() -> None:
    payload = docs_example(approxLocation={"city": {"placeId": "place-new-york", "name": "NY"}})
    assert ("approxLocation.city.countryCode", "missing") in errors_of(payload)


def test_all_errors_are_reported_at_once() -> None:
    paths = {path for path, _ in errors_of({"channelId": 42})}
    assert {"title", "startAt", "timezone", "classifications", "approxLocation"} <= paths


def test_ambiguous_fall_back_hour_accepts_both_offsets() -> None:
    for offset in ("-04:00", "-05:00"):
        assert parse_event(docs_example(startAt=f"2026-11-01T01:30:00{offset}"))


def test_the_supported_range_holds_to_its_edges() -> None:
    first = docs_example(startAt="1900-01-01T00:00:00+00:00", timezone="UTC")
    last = docs_example(startAt="2200-12-31T23:59:59+00:00", timezone="UTC")
    assert parse_event(first).startAt.year == 1900
    assert parse_event(last).startAt.year == 2200
    # As written it is 1900, but its UTC instant is the evening before.
    early = docs_example(startAt="1900-01-01T00:00:00+14:00", timezone="Pacific/Kiritimati")
    assert ("startAt", "date_out_of_range") in errors_of(early)


def test_a_store_fault_is_named_with_every_schema_error_at_once() -> None:
    paths = {(p, c) for p, c in errors_of(docs_example(title=7, description="a\u0000b"))}
    assert paths == {("title", "string_type"), ("description", "nul_character")}


def test_patch_refuses_what_the_store_would() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_patch({"venue": {"name": "Pier\u0000 17"}, "startAt": "0001-01-01T00:00:00Z"})
    assert {(e.path, e.code) for e in caught.value.errors} == {
        ("venue.name", "nul_character"),
        ("startAt", "date_out_of_range"),
    }


def test_body_must_be_an_object() -> None:
    assert errors_of(["not", "an", "object"])[0][1] == "model_type"


# Mistakes in fields no rule reads together, each with the path and code it must be named by.
MISTAKES: dict[str, tuple[dict[str, Any], tuple[str, str]]] = {
    "title": ({"title": ""}, ("title", "string_too_short")),
    "classification": (
        {"classifications": ["knitting"]}, ("classifications", "unknown_classification"),
    ),
    "country": (
        {"approxLocation": {"city": {"placeId": "place-new-york", "name": "New York",
                                     "countryCode": "CA"}}},
        ("approxLocation.city.countryCode", "country_mismatch"),
    ),
    "offset": ({"startAt": "2026-06-12T18:00:00-07:00"}, ("startAt", "offset_mismatch")),
    "channel": ({"channelId": 0}, ("channelId", "greater_than")),
    "capacity": ({"capacity": -1}, ("capacity", "greater_than_equal")),
}  # fmt: skip


@given(st.sets(st.sampled_from(sorted(MISTAKES)), min_size=1))
def test_every_mistake_is_named_in_one_answer(chosen: set[str]) -> None:
    """Rules across fields (a zone's offset, a place's country) judge the fields that passed
    even when others failed: a client fixes everything after one round trip."""
    body = docs_example()
    for name in chosen:
        body.update(MISTAKES[name][0])
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    named = {(error.path, error.code) for error in caught.value.errors}
    assert named == {MISTAKES[name][1] for name in chosen}


def test_a_malformed_country_does_not_hide_an_unknown_place() -> None:
    city = {"placeId": "place-nyc", "name": "New York", "countryCode": "USA"}
    assert errors_of(docs_example(approxLocation={"city": city})) == [
        ("approxLocation.city.countryCode", "string_pattern_mismatch"),
        ("approxLocation.city.placeId", "unknown_place"),
    ]  # fmt: skip
    malformed_id = {**city, "placeId": "nyc"}  # named once, by its own pattern
    assert errors_of(docs_example(approxLocation={"city": malformed_id})) == [
        ("approxLocation.city.placeId", "string_pattern_mismatch"),
        ("approxLocation.city.countryCode", "string_pattern_mismatch"),
    ]  # fmt: skip


def test_an_unknown_zone_does_not_hide_an_end_before_the_start() -> None:
    body = docs_example(timezone="Mars/Base", endAt="2026-06-12T17:00:00-04:00")
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert [(e.path, e.code) for e in caught.value.errors] == [
        ("timezone", "unknown_timezone"), ("endAt", "end_before_start"),
    ]  # fmt: skip


def test_a_patch_keeps_the_record_an_event_was_created_from() -> None:
    """Its id derives from the sourceId: another would make the record's next sending a
    second event."""
    stored = docs_example(sourceId="crm-77")
    assert apply_patch(stored, {"sourceId": "crm-77", "title": "Same record"}, 42).title == (
        "Same record"
    )
    for other in ("crm-78", None):
        with pytest.raises(InvalidEvent) as caught:
            apply_patch(stored, {"sourceId": other}, 42)
        assert [(e.path, e.code) for e in caught.value.errors] == [("sourceId", "immutable")]


def test_the_patch_schema_offers_no_null_for_fields_every_event_has() -> None:
    properties = EventPatch.model_json_schema()["properties"]
    for name in ("title", "startAt", "timezone", "classifications", "approxLocation"):
        assert "null" not in json.dumps(properties[name]), name
        with pytest.raises(InvalidEvent) as caught:
            parse_patch({name: None})
        assert [(e.path, e.code) for e in caught.value.errors] == [(name, "required")]
    assert '"null"' in json.dumps(properties["endAt"])  # optional ones may be cleared


NUMERALS = st.integers(1, 10**6).map(str) | st.floats(0, 100).map(str)  # a form's quoted numbers
WORDS = st.text(st.characters(categories=["L"]), max_size=10)  # letters only: never a numeral
NOT_NUMERALS = st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | WORDS


def integer_field_errors(value: object) -> list[str]:
    """The message of the one error for `value` as channelId, then as capacity."""
    messages = []
    for field in ("channelId", "capacity"):
        with pytest.raises(InvalidEvent) as caught:
            parse_event(docs_example(**{field: value}))
        (error,) = caught.value.errors
        assert (error.path, error.code) == (field, "int_type")
        assert error.message.startswith("must be a JSON integer, such as 42, not ")
        messages.append(error.message)
    return messages


@given(value=NUMERALS)
def test_a_quoted_number_where_an_integer_belongs_is_refused_saying_so(value: str) -> None:
    for message in integer_field_errors(value):
        assert message.endswith(f'the string "{value}" (send the number without quotes)')


@given(value=NOT_NUMERALS)
def test_integer_fields_take_json_integers_only(value: object) -> None:
    # true, 5.0 or a word is not the schema's integer: refused, saying what was sent.
    for message in integer_field_errors(value):
        assert "without quotes" not in message


@given(value=st.booleans() | st.floats(-90, 90).map(str))
def test_number_fields_take_json_numbers_only(value: object) -> None:
    body = docs_example(
        venue={"name": "Pier", "coordinates": {"lat": value, "lng": 0}},
        price={"min": 0, "max": value, "currency": "USD"},
    )
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    codes = {(e.path, e.code) for e in caught.value.errors}
    assert {("venue.coordinates.lat", "float_type"), ("price.max", "float_type")} <= codes


def test_a_number_where_a_date_time_belongs_is_refused_not_read_as_unix_time() -> None:
    (error,) = errors_of(docs_example(startAt=1_780_000_000))
    assert error == ("startAt", "datetime_type")
    assert parse_event(docs_example(capacity=40, price={"min": 0, "max": 25, "currency": "USD"}))


UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udfff"])


@given(
    key=st.tuples(st.text(max_size=5), UNSTORABLE, st.text(max_size=5)).map("".join),
    inside=st.sampled_from([(), ("venue",), ("images", 0)]),
)
def test_a_key_that_cannot_be_stored_is_named_once_by_one_path(
    key: str, inside: tuple[str | int, ...]
) -> None:
    # pydantic names it raw (a NUL) or at its object (a surrogate); the storability rules
    # spell it escaped: one path for one key, each fault once, nothing raw in the answer.
    body = docs_example(
        venue={"name": "Pier"}, images=[{"url": "https://x.example/a.jpg", "alt": "a"}]
    )
    target = body
    for step in inside:
        target = target[step]  # type: ignore[index]
    target[key] = 1  # type: ignore[index]
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    errors = [(e.path, e.code) for e in caught.value.errors]
    path = ".".join([*map(str, inside), key]).replace("\x00", "\\u0000")
    for surrogate in "\ud800\udfff":
        path = path.replace(surrogate, f"\\u{ord(surrogate):04x}")
    assert len(errors) == len(set(errors))
    assert {p for p, _ in errors} == {path}
    assert ("nul_character" if "\x00" in key else "invalid_unicode") in {c for _, c in errors}


@pytest.mark.parametrize(
    ("start", "code", "says"),
    [
        (
            "next tuesday",
            "datetime_from_date_parsing",
            "must be an ISO 8601 date-time with an offset",
        ),
        ("2026-13-01T10:00:00Z", "datetime_from_date_parsing", "(month value is outside"),
        ("2026-06-12T18:00:00", "timezone_aware", "must include its UTC offset (Z or +hh:mm)"),
    ],
)
def test_a_date_time_mistake_says_what_to_send(start: str, code: str, says: str) -> None:
    # Codes as pydantic names them (stable); messages that show the expected form.
    with pytest.raises(InvalidEvent) as caught:
        parse_event(docs_example(startAt=start))
    (error,) = caught.value.errors
    assert (error.path, error.code) == ("startAt", code)
    assert says in error.message
    assert "2027-05-01T19:00:00-04:00" in error.message


@pytest.mark.parametrize(("body", "kind"), [([1], "a JSON array"), ("x", 'the string "x"')])
def test_a_body_that_is_no_object_says_so_without_naming_a_class(body: object, kind: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    (error,) = caught.value.errors
    assert (error.path, error.code) == ("body", "model_type")
    assert error.message == f"must be a JSON object, not {kind}"


@pytest.mark.parametrize("sent", ["\ud800", "4\x002", "\udfff\ud800"])
def test_a_message_quoting_what_was_sent_can_itself_be_stored(sent: str) -> None:
    # Messages are recorded (a refused delivery's fields): what they quote is escaped.
    with pytest.raises(InvalidEvent) as caught:
        parse_event(docs_example(capacity=sent))
    assert all(unstorable_values([e.message, e.path]) == [] for e in caught.value.errors)


def test_a_body_that_is_a_lone_surrogate_string_is_named_in_storable_text() -> None:
    # The answer is JSON encoded as UTF-8: a raw surrogate in its message was a 500 (the
    # fuzz tests found it in CI).
    with pytest.raises(InvalidEvent) as caught:
        parse_event("\ud800")
    (error,) = [e for e in caught.value.errors if e.code == "model_type"]
    assert error.message == 'must be a JSON object, not the string "\\ud800"'
    for each in caught.value.errors:
        each.message.encode()  # no UnicodeEncodeError


def test_a_known_slug_in_another_spelling_is_suggested() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(docs_example(classifications=["Music", "Food drink", "polka"]))
    (error,) = caught.value.errors
    assert error.code == "unknown_classification"
    assert "Music (did you mean music?), Food drink (did you mean food-drink?), polka;" in (
        error.message
    )


def test_a_blank_title_is_called_blank() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(docs_example(title=" \n  "))
    (error,) = caught.value.errors
    assert (error.path, error.code) == ("title", "string_too_short")
    assert error.message.startswith("is blank")
