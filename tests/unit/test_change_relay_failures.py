"""The change relay keeps running through a database restart.

asyncpg reports a connection the server closed mid-transaction as `InterfaceError`
("the underlying connection is closed"), not as a `PostgresError`; the relay once caught
only the latter and took the publisher down with it on `PostgreSQL immediate restart`
(make chaos)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.publisher.relay import ChangeRelay


@pytest.mark.parametrize(
    "failure",
    [
        asyncpg.InterfaceError(
            "cannot call Transaction.__aexit__(): the underlying connection is closed"
        ),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["connection-closed", "starting-up", "refused"],
)
async def test_a_database_outage_is_retried_not_fatal(failure: BaseException) -> None:
    relay = ChangeRelay(
        pool=None,  # type: ignore[arg-type]  # relay_once is replaced below
        producer=None,  # type: ignore[arg-type]
        poll_seconds=0.01,
    )
    attempts = 0

    async def relay_once() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise failure
        relay.stop()
        return 0

    relay.relay_once = relay_once  # type: ignore[method-assign]
    await asyncio.wait_for(relay.run(), timeout=10)
    assert attempts == 2


async def test_a_programming_error_still_ends_the_relay() -> None:
    relay = ChangeRelay(pool=None, producer=None, poll_seconds=0.01)  # type: ignore[arg-type]

    async def relay_once() -> int:
        raise KeyError("seq")

    relay.relay_once = relay_once  # type: ignore[method-assign]
    with pytest.raises(KeyError):
        await asyncio.wait_for(relay.run(), timeout=10)
