"""Opaque cursors of the people API: where a page ended, tagged with the listing it
belongs to, so a cursor of one listing is a 400 on another."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from services.discovery.web.errors import InvalidParameter
from shared.core.json_body import decode_json
from shared.core.numerals import ascii_digits

Position = tuple[datetime, uuid.UUID]


def encode(listing: str, position: Position) -> str:
    raw = json.dumps([listing, position[0].isoformat(), str(position[1])]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(listing: str, cursor: str | None) -> Position | None:
    if not cursor:
        return None
    try:
        found = decode_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
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
