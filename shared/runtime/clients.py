"""The clients a service opens first: its PostgreSQL pool (or pools) and its Kafka producer."""

from __future__ import annotations

import contextlib

from shared.adapters.kafka import Producer, broker_reachable, create_producer
from shared.adapters.postgres import BoundedPool, create_pool, ping
from shared.core.settings import DatabaseSettings, KafkaSettings
from shared.runtime.ops_http import Check, observe_pool


async def open_pool(
    stack: contextlib.AsyncExitStack,
    database: DatabaseSettings,
    checks: dict[str, Check],
    check: str = "postgres",
    server_settings: dict[str, str] | None = None,
) -> BoundedPool:
    """A pool, closed by `stack` when it exits; `checks[check]` is its readiness check.
    `server_settings`: session settings (GUCs) for every connection."""
    pool = await create_pool(database, server_settings=server_settings)
    stack.push_async_callback(pool.close)
    checks[check] = lambda: ping(pool)
    return pool


async def open_pool_and_producer(
    stack: contextlib.AsyncExitStack,
    database: DatabaseSettings,
    kafka: KafkaSettings,
    client_id: str,
    checks: dict[str, Check],
) -> tuple[BoundedPool, Producer]:
    """Both opened, and closed by `stack` when it exits (the producer first); `checks` gains
    the readiness check of each."""
    pool = await open_pool(stack, database, checks)
    observe_pool(pool)
    producer = create_producer(kafka, client_id)
    await producer.start()
    stack.push_async_callback(producer.stop)
    checks["kafka"] = lambda: broker_reachable(producer.client)
    return pool, producer
