"""API key format: `pe_<test|live>_<prefix>_<secret><checksum>`.

The prefix identifies the key row (and is safe to log); the secret is 32 base62 characters
and only its SHA-256 is stored. The last 6 characters are a CRC32 of everything before
them, so a mistyped key or a random string is refused without a database lookup, and a
secret scanner can recognise a real key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

KeyMode = Literal["test", "live"]

_ALPHABET = string.digits + string.ascii_letters
_PREFIX_LENGTH = 8
_SECRET_LENGTH = 32
_CHECKSUM_LENGTH = 6
_KEY_PATTERN = re.compile(
    rf"^pe_(test|live)_([0-9A-Za-z]{{{_PREFIX_LENGTH}}})_([0-9A-Za-z]{{{_SECRET_LENGTH}}})"
    rf"([0-9A-Za-z]{{{_CHECKSUM_LENGTH}}})$"
)


def looks_like_key(text: str) -> bool:
    """Whether `text` starts as our keys do (`pe_test_` / `pe_live_`), valid or not."""
    return text.startswith(("pe_test_", "pe_live_"))


class Scope(StrEnum):
    CHANNELS_READ = "channels:read"
    EVENTS_CREATE = "events:create"
    EVENTS_READ = "events:read"
    EVENTS_UPDATE = "events:update"
    # Owner scopes: the developer API (`/api/developer/v1`) for key, integration, audit and
    # channel management. An integration's key never needs them, and the API never grants them.
    KEYS_MANAGE = "keys:manage"
    INTEGRATIONS_MANAGE = "integrations:manage"
    AUDIT_READ = "audit:read"
    CHANNELS_MANAGE = "channels:manage"


QUICKSTART_SCOPES = (Scope.CHANNELS_READ, Scope.EVENTS_CREATE)
PUBLIC_SCOPES = (
    Scope.CHANNELS_READ,
    Scope.EVENTS_CREATE,
    Scope.EVENTS_READ,
    Scope.EVENTS_UPDATE,
)
OWNER_SCOPES = (
    Scope.KEYS_MANAGE,
    Scope.INTEGRATIONS_MANAGE,
    Scope.AUDIT_READ,
    Scope.CHANNELS_MANAGE,
)


class InvalidScopes(ValueError):
    """A key's scopes break the rules below; the message says which."""


def check_scopes(scopes: Sequence[Scope]) -> None:
    """A key holds at least one scope, and either public scopes (an integration's key) or
    owner scopes (the developer API), never both: a leaked integration key cannot mint keys,
    and an owner key cannot publish."""
    if not scopes:
        raise InvalidScopes("a key needs at least one scope")
    owner = sorted({str(s) for s in scopes if s in OWNER_SCOPES})
    public = sorted({str(s) for s in scopes if s not in OWNER_SCOPES})
    if owner and public:
        raise InvalidScopes(
            f"a key holds owner scopes ({', '.join(owner)}) or public ones "
            f"({', '.join(public)}), never both: create two keys"
        )


@dataclass(frozen=True)
class ParsedKey:
    mode: KeyMode
    prefix: str
    secret: str

    @property
    def secret_hash(self) -> bytes:
        return hash_secret(self.secret)


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: `token` is shown once, only `secret_hash` is stored."""

    mode: KeyMode
    prefix: str
    token: str
    secret_hash: bytes


def generate_key(mode: KeyMode = "test") -> NewKey:
    prefix = _random_base62(_PREFIX_LENGTH)
    secret = _random_base62(_SECRET_LENGTH)
    body = f"pe_{mode}_{prefix}_{secret}"
    return NewKey(mode, prefix, body + _checksum(body), hash_secret(secret))


def parse_key(token: str) -> ParsedKey | None:
    """The key's parts, or None when it is not a well-formed key with a valid checksum."""
    match = _KEY_PATTERN.fullmatch(token)
    if match is None:
        return None
    mode, prefix, secret, checksum = match.groups()
    body = token[:-_CHECKSUM_LENGTH]
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return ParsedKey(mode, prefix, secret)  # type: ignore[arg-type]


def hash_secret(secret: str) -> bytes:
    # A fast hash is right here: the secret is 190 random bits, so there is nothing for a
    # slow password hash to protect against, and it runs on every request.
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(parsed: ParsedKey, stored_hash: bytes) -> bool:
    return hmac.compare_digest(parsed.secret_hash, stored_hash)


def _random_base62(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    digits = []
    for _ in range(_CHECKSUM_LENGTH):
        value, rem = divmod(value, 62)
        digits.append(_ALPHABET[rem])
    return "".join(reversed(digits))
