"""What a mapping filled in, changed or left out without refusing the event: each note names
the event field (dotted, as field errors do: `images.0.alt`), a stable code, and what the
owner can map to do without it. A delivery carries its notes (the deliveries log, preview and
replay answers, the portal's delivery page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """One value the mapping filled in, changed or left out."""

    path: str
    code: str
    message: str


def as_json(notes: Iterable[Note]) -> list[dict[str, str]]:
    """Notes as the deliveries log stores and the APIs answer them."""
    return [{"path": n.path, "code": n.code, "message": n.message} for n in notes]
