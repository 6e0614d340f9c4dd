"""Opaque cursors of the people API: where a page ended, tagged with the listing it
belongs to, so a cursor of one listing is a 400 on another."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.discovery.web.errors import InvalidParameter
from shared.core.json_body import UndecodableJson, from_opaque_json, opaque_json
from shared.core.numerals import ascii_digits

Position = tuple[datetime, uuid.UUID]


def encode(listing: str, position: Position) -> str:
    return opaque_json([listing, position[0].isoformat(), str(position[1])])


def decode(listing: str, cursor: str | None) -> Position | None:
    if not cursor:
        return None
    try:
        found = from_opaque_json(cursor)
    except UndecodableJson:
        raise InvalidParameter("cursor", "is damaged; start again without it") from None
    try:  # readable, yet not this API's shape: another listing's, or a search's
        tag, moment, key = found
        position = (datetime.fromisoformat(moment), uuid.UUID(key))
    except (ValueError, TypeError):
        tag, position = None, (datetime.min, uuid.UUID(int=0))
    if tag != listing or position[0].tzinfo is None:
        raise InvalidParameter("cursor", "belongs to another listing; start again without it")
    return position


def page_limit(raw: str | None, default: int = 20, most: int = 100) -> int:
    if raw is None or raw == "":
        return default
    if not ascii_digits(raw) or not 1 <= int(raw) <= most:
        raise InvalidParameter("limit", f"must be a whole number from 1 to {most}")
    return int(raw)
