"""The two clients every service opens first: its PostgreSQL pool and its Kafka producer."""

from __future__ import annotations

import contextlib

import asyncpg

from shared.adapters.kafka import Producer, broker_reachable, create_producer
from shared.adapters.postgres import create_pool, ping
from shared.core.settings import DatabaseSettings, KafkaSettings
from shared.runtime.ops_http import Check, observe_pool


async def open_pool_and_producer(
    stack: contextlib.AsyncExitStack,
    database: DatabaseSettings,
    kafka: KafkaSettings,
    client_id: str,
    checks: dict[str, Check],
) -> tuple[asyncpg.Pool, Producer]:
    """Both opened, and closed by `stack` when it exits (the producer first); `checks` gains
    the readiness check of each."""
    pool = await create_pool(database)
    stack.push_async_callback(pool.close)
    observe_pool(pool)
    producer = create_producer(kafka, client_id)
    await producer.start()
    stack.push_async_callback(producer.stop)
    checks["postgres"] = lambda: ping(pool)
    checks["kafka"] = lambda: broker_reachable(producer.client)
    return pool, producer
