"""An owner's webhook integrations and their deliveries log, through the statements the
`pinned integrations` CLI also uses (`shared.adapters.integrations`). Unknown integrations
raise integrations.IntegrationNotFound."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from services.gateway.adapters.coalesce import Coalescer
from shared.adapters import integrations
from shared.adapters.integrations import EventAction, IntegrationSpec, SecretRotation, Verification
from shared.domain.senders import new_secret

Row = dict[str, Any]

# A row keeps a body of up to 256 KiB (shared.domain.captured), so a statement's rows stay
# within a few MiB even when every delivery is that large; a few hundred a second fit easily.
_DELIVERIES_PER_STATEMENT = 20


class IntegrationStore:
    def __init__(self, pool: asyncpg.Pool, changed: Callable[[uuid.UUID], None]) -> None:
        """`changed` hears of every integration this store changed, before the change is
        answered (the access cache forgets it)."""
        self._pool = pool
        self._changed = changed
        # Deliveries arriving together share one transaction and round trip (group commit):
        # one each had made the pool the webhook path's queue at a few hundred a second.
        self._deliveries: Coalescer[Row, asyncpg.PostgresError | None] = Coalescer(
            self._record_deliveries, max_items=_DELIVERIES_PER_STATEMENT
        )

    async def create(
        self,
        owner_id: int,
        spec: IntegrationSpec,
        verification: Verification,
        mapping: dict[str, str],
        actions: dict[str, EventAction],
    ) -> tuple[Row, str]:
        """The stored integration and its secret (generated unless the spec gives one)."""
        secret = spec.secret or new_secret(spec.source)
        async with self._pool.acquire() as conn:
            return await integrations.create(
                conn, owner_id, spec, verification, mapping, actions, secret
            )

    async def page(self, owner_id: int, limit: int, offset: int) -> tuple[list[Row], int]:
        async with self._pool.acquire() as conn:
            return await integrations.page(conn, owner_id, limit, offset)

    async def get(self, owner_id: int, integration_id: uuid.UUID) -> Row:
        return await integrations.get(self._pool, owner_id, integration_id)

    async def change(
        self,
        owner_id: int,
        integration_id: uuid.UUID,
        changed: Callable[[Row], Awaitable[IntegrationSpec]],
    ) -> Row:
        """Store what `changed` makes of the stored integration. Its row is held meanwhile,
        so two concurrent changes of different fields both hold."""
        async with self._pool.acquire() as conn, conn.transaction():
            stored = await integrations.get(conn, owner_id, integration_id, for_update=True)
            row = await integrations.update(conn, owner_id, stored["id"], await changed(stored))
        self._changed(integration_id)
        return row

    async def set_status(self, owner_id: int, integration_id: uuid.UUID, status: str) -> Row:
        async with self._pool.acquire() as conn:
            row = await integrations.set_status(conn, owner_id, integration_id, status)
        self._changed(integration_id)
        return row

    async def delete(self, owner_id: int, integration_id: uuid.UUID) -> None:
        async with self._pool.acquire() as conn:
            await integrations.delete(conn, owner_id, integration_id)
        self._changed(integration_id)

    async def rotate_secret(
        self, owner_id: int, integration_id: uuid.UUID, rotation: SecretRotation
    ) -> tuple[Row, str]:
        async with self._pool.acquire() as conn:
            rotated = await integrations.rotate_secret(
                conn, owner_id, integration_id, rotation, new_secret
            )
        self._changed(integration_id)
        return rotated

    async def deliveries(
        self, owner_id: int, integration_id: uuid.UUID, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """The owner's integration's deliveries, newest first, each with the publisher's
        verdict once there is one."""
        async with self._pool.acquire() as conn:
            row = await integrations.get(conn, owner_id, integration_id)
            return await integrations.deliveries(conn, row["id"], limit, offset)

    async def kept_delivery(
        self, owner_id: int, integration_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> Row:
        """One of the owner's integration's deliveries as kept (headers, body, query,
        idempotency key) with the publisher's verdict; DeliveryNotFound when it has none."""
        async with self._pool.acquire() as conn:
            row = await integrations.get(conn, owner_id, integration_id)
            return await integrations.kept_delivery(conn, row["id"], delivery_id)

    async def for_intake(self, integration_id: uuid.UUID) -> Row | None:
        """The integration with its secrets, for verifying a delivery; None when unknown.
        Read through the access cache (`AccessReader.integration`) on the webhook path."""
        return await integrations.for_intake(self._pool, integration_id)

    async def record_delivery(self, delivery: Row) -> None:
        """Return once the delivery's row is stored (with those recorded meanwhile); raise
        what PostgreSQL answered when it refused this row."""
        error = await self._deliveries.submit(delivery)
        if error is not None:
            raise error

    def oldest_delivery_wait(self, now: float) -> float:
        """Seconds the oldest delivery row not yet stored has waited at monotonic `now`."""
        return self._deliveries.oldest_wait(now)

    async def _record_deliveries(
        self, deliveries: Sequence[Row]
    ) -> list[asyncpg.PostgresError | None]:
        return await integrations.record_deliveries(self._pool, deliveries)
