"""Only ASCII digits are a number in a query string, a header or a form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core.numerals import ascii_digits


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", True), ("42", True), ("", False), ("-1", False), (" 1", False), ("1.5", False),
     ("\u00b2", False), ("\u2460", False), ("\uff11", False), ("\u0661", False)],
)  # fmt: skip
def test_ascii_digits(text: str, number: bool) -> None:
    assert ascii_digits(text) is number


@given(st.text(max_size=8))
def test_whatever_passes_is_an_int(text: str) -> None:
    # The point: `int()` of anything it accepts never raises (isdigit() let '\u00b2' through).
    if ascii_digits(text):
        assert str(int(text)).lstrip("0") == text.lstrip("0")
