"""The services' jsonb codec (shared/adapters/postgres.py) decodes what PostgreSQL writes out
exactly as json.loads does: the same values of the same types (numbers past 64 bits, every
script, nesting, keys jsonb reorders, floats jsonb writes as integers)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

# What jsonb can hold: text without NUL or lone surrogates, finite numbers.
_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
_numbers = st.integers(min_value=-(10**40), max_value=10**40) | st.floats(
    allow_nan=False, allow_infinity=False
)
_json_values = st.recursive(
    st.none() | st.booleans() | _numbers | _text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=16,
)


@settings(max_examples=300)
@given(value=_json_values)
async def test_values_decode_as_json_loads_decodes_them(
    conn: asyncpg.Connection, value: Any
) -> None:
    document = {"value": value}  # None alone would be SQL's NULL, not JSON's
    decoded, text = await conn.fetchrow("SELECT $1::jsonb, $1::jsonb::text", document)
    expected = json.loads(text)
    assert decoded == expected
    assert json.dumps(decoded) == json.dumps(expected)  # types too: 1 against 1.0, -0.0
