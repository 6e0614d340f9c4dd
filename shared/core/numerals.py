"""Whole numbers as senders type them in query strings, headers and forms.

`str.isdigit()` is true for every Unicode digit: for a superscript two or a circled one, which
`int()` then refuses (a ValueError, a 500, where a 400 belonged), and for a full-width one
(U+FF11), which `int()` reads as 1, so such a limit was taken though no client means it. Only
ASCII digits are a number here.
"""

from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """Whether `text` is one or more of 0-9 and nothing else (no sign, space or other digit)."""
    return text.isascii() and text.isdigit()
