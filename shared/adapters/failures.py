"""Which exceptions mean "a dependency is down" rather than "this input is bad".

Background loops (the consumer loop, the change relay, pruners, listeners) retry these with
backoff and let anything else end the process. asyncpg raises `InterfaceError`, not a
`PostgresError`, when the server closes a connection in use (an immediate restart, a
failover), so a loop that caught only `PostgresError` died on the first restart.
"""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError

from shared.adapters.postgres import PoolExhausted

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    PoolExhausted,
)
"""Retry, never dead-letter: the broker or the database is down, restarting or saturated."""

STORE_MAINTENANCE_ERRORS: tuple[type[BaseException], ...] = (
    *TRANSIENT_ERRORS,
    asyncpg.PostgresError,
)
"""For housekeeping (pruning, listening): any database refusal is logged and tried again
at the next tick, since the next tick is the retry."""

DEPENDENCY_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)
"""In a request: the database (or the broker, outside the send path that answers for itself)
cannot be reached, is restarting or refuses connections. Answered 503 `service_unavailable`
with Retry-After and logged in one line, not as a 500 with a traceback per request.
TimeoutError (an OSError) and PoolExhausted have answers of their own. Not InterfaceError:
asyncpg raises it for a value it cannot encode too (a bug, a 500), and a connection lost in
use is `ConnectionDoesNotExistError`, a PostgresConnectionError."""
