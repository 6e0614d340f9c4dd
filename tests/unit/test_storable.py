"""The storability rules on any decoded JSON value: every offending string, key and number is
named by its path, in document order, however deep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.integrations import InvalidIntegration, validate_rotation, validate_spec
from shared.domain.storable import (
    EARLIEST,
    LATEST,
    SUPPORTED_RANGE,
    storable_text,
    supported_moment_problem,
    surely_storable_json,
    text_problem,
    unstorable_values,
)


def test_clean_values_have_no_problem() -> None:
    payload = {"title": "Jazz Night 🎷 — Zürich", "tags": ["a", "ب"], "n": 1.5, "ok": None}
    assert unstorable_values(payload) == []


def test_each_offender_is_named_in_document_order() -> None:
    payload = {
        "title": "a\x00",
        "images": [{"alt": "fine"}, {"alt": "\udc00"}],
        "k.e\x00y": 1,
        "price": {"max": float("nan")},
    }
    found = [(e.path, e.code) for e in unstorable_values(payload)]
    assert found == [
        ("title", "nul_character"),
        ("images.1.alt", "invalid_unicode"),
        ("k.e\\u0000y", "nul_character"),  # a path that can itself be stored and shown
        ("price.max", "non_finite_number"),
    ]


def test_depth_costs_no_recursion() -> None:
    deep: object = "\x00"
    for _ in range(100_000):
        deep = [deep]
    (error,) = unstorable_values(deep)
    assert error.code == "nul_character"
    assert error.path.count(".") == 99_999


def test_a_bare_value_is_the_body() -> None:
    assert [e.path for e in unstorable_values("\x00")] == ["body"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("\x00", "nul_character"), ("a\ud800b", "invalid_unicode"), ("\udfff\x00", "nul_character")],
)
def test_text_problems(text: str, code: str) -> None:
    problem = text_problem(text)
    assert problem is not None
    assert problem[0] == code


def test_storable_text_spells_what_cannot_be_stored() -> None:
    assert storable_text("doc\x00-\ud800") == "doc\\u0000-\\ud800"
    assert storable_text("plain") == "plain"
    assert text_problem(storable_text("doc\x00-\ud800")) is None


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title":"a\\u0000b"}',
        b'{"k\\u0000":1}',
        b'["\\udc00"]',
        b'["\\uD83C"]',
        b'["\xed\xb0\x80"]',  # a lone surrogate's own bytes: json.loads lets them through
        b"[NaN]",
        b"[-Infinity]",
        b"[1e400]",
        b"[1E+309]",
        b"[" + b"9" * 320 + b".0]",
        b"[" + b"9" * 250 + b"e99]",
        json.dumps({"title": "a\x00"}).encode("utf-16"),
    ],
)
def test_text_that_can_spell_the_unstorable_is_looked_at_closer(raw: bytes) -> None:
    assert not surely_storable_json(raw)
    assert unstorable_values(json.loads(raw))  # each of these is indeed unstorable


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title":"Jazz Night \xf0\x9f\x8e\xb7 \xe2\x80\x94 Z\xc3\xbcrich \\u00e9"}',
        b'{"price":{"min":1.5e10,"max":99.99,"currency":"EUR"},"capacity":12000}',
        '{"title":"서울 재즈 페스티벌"}'.encode(),  # Hangul: lead byte \\xed, not a surrogate
        b'{"coordinates":{"lat":-33.8688,"lng":151.2093},"n":1e-400}',
    ],
)
def test_ordinary_text_is_shown_storable(raw: bytes) -> None:
    assert surely_storable_json(raw)


# Any character, NUL and lone surrogates included; JSON values of any shape and number.
_ANY_CHARACTER = st.characters(codec=None, categories=None)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(_ANY_CHARACTER),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(_ANY_CHARACTER, max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
# Number literals as senders write them, up to far past a double's range.
_number_literals = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
    st.sampled_from(["", "-"]),
    st.from_regex(r"\A(0|[1-9][0-9]{0,400})\Z"),
    st.sampled_from([""]) | st.from_regex(r"\A\.[0-9]{1,40}\Z"),
    st.sampled_from([""]) | st.from_regex(r"\A[eE][+-]?[0-9]{1,4}\Z"),
)


def _json_text(value: object, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate's bytes: not UTF-8


@settings(max_examples=1_500)
@given(
    raw=st.one_of(
        st.builds(_json_text, _json_values, st.booleans()),
        st.lists(_number_literals, min_size=1, max_size=3).map(
            lambda numbers: f"[{','.join(numbers)}]".encode()
        ),
    )
)
def test_text_shown_storable_decodes_to_nothing_unstorable(raw: bytes) -> None:
    try:
        decoded = json.loads(raw)
    except ValueError:  # not JSON the gateway decodes: refused before anyone looks closer
        return
    if surely_storable_json(raw):
        assert unstorable_values(decoded) == []


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(1900, 1, 1, tzinfo=UTC), True),
        (datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC), True),
        (datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC), False),
        (datetime(2201, 1, 1, tzinfo=UTC), False),
        (datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), False),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), False),
        (datetime(2200, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), False),
        (datetime(1900, 1, 1, 3, tzinfo=timezone(timedelta(hours=3))), True),
    ],
)
def test_supported_range_as_written_and_in_utc(moment: datetime, inside: bool) -> None:
    assert (supported_moment_problem(moment) is None) is inside


def full_range_check(moment: datetime) -> str | None:
    """supported_moment_problem without its quick answer for years 1901-2199."""
    wall = moment.replace(tzinfo=None)
    if not EARLIEST <= wall <= LATEST:
        return f"must be {SUPPORTED_RANGE}"
    instant = wall - (moment.utcoffset() or timedelta(0))
    if not EARLIEST <= instant <= LATEST:
        return f"must be {SUPPORTED_RANGE} (its UTC instant is {instant.isoformat()})"
    return None


offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59, seconds=59),
                        max_value=timedelta(hours=23, minutes=59, seconds=59))  # fmt: skip
zones = st.one_of(st.none(), st.just(UTC), offsets.map(timezone), st.timezones())


@settings(max_examples=2_000)
@given(
    moment=st.one_of(
        st.datetimes(timezones=zones),
        st.datetimes(min_value=datetime(1899, 12, 30), max_value=datetime(1901, 1, 2),
                     timezones=zones),
        st.datetimes(min_value=datetime(2199, 12, 30), max_value=datetime(2201, 1, 2),
                     timezones=zones),
    )
)  # fmt: skip
def test_the_quick_answer_is_the_full_checks_answer(moment: datetime) -> None:
    assert supported_moment_problem(moment) == full_range_check(moment)


def test_integration_settings_refuse_what_the_store_would() -> None:
    spec = {
        "name": "CRM\x00 sync",
        "source": "generic",
        "channelId": 42,
        "mapping": {"title": "data.ti\ud800tle"},
    }
    with pytest.raises(InvalidIntegration) as caught:
        validate_spec(spec)
    assert {(p.path, p.code) for p in caught.value.problems} == {
        ("name", "nul_character"),
        ("mapping.title", "invalid_unicode"),
    }
    with pytest.raises(InvalidIntegration):
        validate_rotation({"secret": "s" * 20 + "\x00"})
