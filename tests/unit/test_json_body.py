"""Bounded JSON decoding: whatever the bytes, the answer is a value or UndecodableJson with a
message for the caller; never another exception, and never a deep recursion."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core.json_body import (
    MAX_DEPTH,
    UndecodableJson,
    decode_json,
    from_opaque_json,
    nesting_depth,
    opaque_json,
)
from tests.strategies import raw_bodies


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{", "b": ["\\"]]]"]}', 2),  # brackets in strings do not count
        (b'[["\\\\"], "\\\\\\"[["]', 2),  # a string ending in an escaped backslash ends
        (b'[{"k\\"{": "}\\\\"}]', 2),
        (b"[" * 100_000, 100_000),
    ],
)
def test_nesting_depth(raw: bytes, depth: int) -> None:
    assert nesting_depth(raw) == depth


def test_a_body_nested_past_the_limit_is_refused_before_decoding() -> None:
    deep = b"[" * 5_000 + b"]" * 5_000
    with pytest.raises(UndecodableJson, match=f"more than {MAX_DEPTH} levels"):
        decode_json(deep)
    assert decode_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


def test_a_hostile_depth_is_counted_only_a_little_past_the_limit() -> None:
    assert MAX_DEPTH < nesting_depth(b"[" * 8_000_000, stop_above=MAX_DEPTH) <= 8_192
    with pytest.raises(UndecodableJson, match="levels deep"):
        decode_json(b"[" * 8_000_000)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


# Strings full of what could fool a count: quotes, backslashes, brackets.
_tricky_text = st.text(st.sampled_from('"\\[]{}a\n\x00é'), max_size=8)
_json_values = st.recursive(
    st.none() | st.integers() | _tricky_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_tricky_text, children, max_size=3)
    ),
    max_leaves=20,
)


# Encodings json.loads reads: RFC 8259's UTF-8, and UTF-16 and UTF-32 it detects.
_ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]


@given(
    value=_json_values,
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 1]),
    encoding=st.sampled_from(_ENCODINGS),
)
def test_nesting_depth_is_the_documents_depth(
    value: object, ascii_only: bool, indent: int | None, encoding: str
) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode(encoding)
    assert nesting_depth(raw) == _depth(value)


@pytest.mark.parametrize("encoding", _ENCODINGS)
def test_depth_hidden_behind_an_escaped_quote_is_found_in_any_encoding(encoding: str) -> None:
    deep = '["\\"", ' + "[" * 5_000 + "]" * 5_000 + "]"
    with pytest.raises(UndecodableJson, match="levels deep"):
        decode_json(deep.encode(encoding))


def test_the_decoders_own_recursion_limit_is_a_refusal_too() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(UndecodableJson, match="levels deep"):
        decode_json(deep, max_depth=1_000_000)  # past the count, json.loads's own limit


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"price": NaN}', "NaN is not a JSON value"),
        (b"[Infinity]", "Infinity is not a JSON value"),
        (b"[-Infinity]", "-Infinity is not a JSON value"),
        (b"[" + b"9" * 5_000 + b"]", "digits"),
        (b'{"title": "\xff\xfe"}', "not UTF-8"),
        (b'{"title": ', "Expecting value at line 1"),
        (b"", "Expecting value"),
        (b'{"title": "a", "title": "b"}', 'the key "title" appears twice in one object'),
        (b'[{"venue": {"name": "a", "x": 1, "name": "b"}}]', 'the key "name" appears twice'),
    ],
)
def test_what_json_is_not_is_refused_with_a_reason(raw: bytes, says: str) -> None:
    with pytest.raises(UndecodableJson, match=says):
        decode_json(raw)


def test_lone_surrogate_escapes_decode_for_the_field_rules_to_name() -> None:
    assert decode_json(b'{"title": "\\ud800 \\u0000"}') == {"title": "\ud800 \x00"}


@given(raw=raw_bodies())
def test_any_bytes_decode_or_are_refused(raw: bytes) -> None:
    try:
        decoded, refusal = decode_json(raw), ""
    except UndecodableJson as exc:
        decoded, refusal = None, str(exc)
    assert refusal or decoded == json.loads(raw)
    if not refusal:
        assert not repeats_a_key(raw)
    if "appears twice" in refusal:
        assert repeats_a_key(raw)


def repeats_a_key(raw: bytes) -> bool:
    repeated = False

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        nonlocal repeated
        repeated = repeated or len({key for key, _ in items}) < len(items)
        return dict(items)

    json.loads(raw, object_pairs_hook=pairs)
    return repeated


@given(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=4))
def test_an_opaque_token_reads_back_as_its_value(value: list[object]) -> None:
    token = opaque_json(value)
    assert "=" not in token
    assert from_opaque_json(token) == value


@pytest.mark.parametrize("token", ["not a token!", "é", "bm90IGpzb24", "W1tbW1tbW1s"])
def test_anything_else_is_undecodable(token: str) -> None:
    with pytest.raises(UndecodableJson):
        from_opaque_json(token)
