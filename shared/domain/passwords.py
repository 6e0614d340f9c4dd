"""Passwords hashed with argon2id (argon2-cffi), off the event loop; shared by people's
accounts (discovery) and the developer portal's users (gateway).

The default cost is OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane: about 50 ms on one
core); each service's settings raise it. A sign-in with an older cost rehashes the password.
An unknown user is checked against a dummy hash, so both answers take as long.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import StringConstraints

from shared.core.settings import CredentialSettings
from shared.domain.field_errors import described

# NIST SP 800-63B: at least 8 characters, no composition rules; the upper bound keeps a
# hash's input bounded.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 256
NewPassword = Annotated[
    str, StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
]
# What a sign-in form may carry: any length up to the bound (the rule applies when it is set).
GivenPassword = Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=3,
        max_length=254,
        pattern=described(
            r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an e-mail address, such as ada@example.org"
        ),
    ),
]


def email_key(email: str) -> str:
    """One account per address whatever its case."""
    return email.strip().lower()


class Passwords:
    @classmethod
    def of(cls, settings: CredentialSettings) -> Passwords:
        return cls(
            settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism
        )

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._dummy = self._hasher.hash("not a password anyone has")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored` (None: no such user; still takes as long)."""
        return await asyncio.to_thread(self._verify, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
