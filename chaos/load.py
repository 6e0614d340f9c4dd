"""A steady load of event creates, webhook deliveries and ordered updates, run in the
chaos process while faults are injected. Each request retries with its own Idempotency-Key
(or, for webhooks, the same delivery) on 409-in-flight, 429, 5xx and broken connections,
as an integrator following the docs would, until a definite answer or its attempts run out."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chaos.ledger import Entry, Ledger, SequenceEntry

MAX_ATTEMPTS = 30
RETRY_DELAY_CAP = 3.0
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Target:
    gateway_url: str
    key: str
    account_id: int
    channel_id: int
    webhook_path: str
    webhook_token: str


def event_body(channel_id: int, title: str) -> dict[str, Any]:
    return {
        "channelId": channel_id,
        "title": title,
        "startAt": "2026-06-12T18:00:00-04:00",
        "timezone": "America/New_York",
        "classifications": ["music"],
        "approxLocation": {
            "city": {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}
        },
    }


class Load:
    def __init__(
        self,
        target: Target,
        ledger: Ledger,
        run_id: str,
        rate: float = 30,
        webhook_every: int = 3,
        sequences: int = 3,
    ) -> None:
        self.target, self.ledger, self.run_id = target, ledger, run_id
        self.rate, self.webhook_every, self.sequence_count = rate, webhook_every, sequences
        self.client = httpx.AsyncClient(base_url=target.gateway_url, timeout=15)
        self.in_fault = False
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._driver: asyncio.Task[None] | None = None
        self._next_k = 0

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.key}"}

    async def start(self) -> None:
        for index in range(self.sequence_count):
            title = f"chaos-seq {self.run_id} {index}"
            response = await self.client.post(
                "/api/public/v1/events",
                json=event_body(self.target.channel_id, title),
                headers={**self._headers, "Idempotency-Key": f"{self.run_id}-seq-{index}"},
            )
            response.raise_for_status()
            self.ledger.sequences.append(SequenceEntry(response.json()["id"]))
        self._driver = asyncio.create_task(self._drive())

    async def stop(self, within: float = 120) -> None:
        """Stop sending new requests; let those under way finish their retries."""
        self._stopping.set()
        if self._driver is not None:
            await self._driver
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=within)
        await self.client.aclose()

    async def _drive(self) -> None:
        started = time.perf_counter()
        n = 0
        while not self._stopping.is_set():
            scheduled = started + n / self.rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            if n % self.webhook_every == self.webhook_every - 1:
                self._spawn(self._webhook(n))
            else:
                self._spawn(self._create(n))
            if n % max(1, int(self.rate / 2)) == 0 and self.ledger.sequences:
                self._spawn(self._update(self.ledger.sequences[n % len(self.ledger.sequences)]))
            n += 1

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _create(self, n: int) -> None:
        entry = Entry(f"chaos {self.run_id} {n}", "api")
        self.ledger.entries.append(entry)
        headers = {
            **self._headers,
            "Idempotency-Key": f"{self.run_id}-{n}",
            "Prefer": "respond-async",
        }
        body = event_body(self.target.channel_id, entry.title)
        await self._until_definite(entry, "/api/public/v1/events", body, headers)

    async def _webhook(self, n: int) -> None:
        entry = Entry(f"chaos {self.run_id} {n}", "webhook")
        self.ledger.entries.append(entry)
        record = {
            **event_body(self.target.channel_id, entry.title),
            "action": "create",
            "id": f"{self.run_id}-{n}",
            "updatedAt": "2026-05-01T10:00:00Z",
        }
        del record["channelId"]
        headers = {"X-Webhook-Token": self.target.webhook_token}
        await self._until_definite(entry, self.target.webhook_path, record, headers)

    async def _update(self, seq: SequenceEntry) -> None:
        k = self._next_k
        self._next_k += 1
        seq.sent.append(k)
        body = {"title": f"seq {k}", "sourceUpdatedAt": (_EPOCH + timedelta(seconds=k)).isoformat()}
        headers = {
            **self._headers,
            "Idempotency-Key": f"{seq.event_id}-{k}",
            "Prefer": "respond-async",
        }
        entry = Entry(f"(update {k})", "api")
        await self._until_definite(
            entry, f"/api/public/v1/events/{seq.event_id}", body, headers, method="PATCH"
        )
        if entry.verdict == "acknowledged":
            seq.acknowledged.append(k)

    async def _until_definite(
        self,
        entry: Entry,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str],
        method: str = "POST",
    ) -> None:
        for _ in range(MAX_ATTEMPTS):
            try:
                response = await self.client.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(1)
                continue
            entry.statuses.append(response.status_code)
            entry.request_ids.append(response.headers.get("x-request-id", ""))
            if self.in_fault:
                self.ledger.statuses_during_fault.append(
                    (response.status_code, response.headers.get("retry-after"))
                )
            if response.status_code < 300:
                accepted = entry.kind == "api" or response.json().get("status") == "accepted"
                entry.verdict = "acknowledged" if accepted else "refused"
                return
            if response.status_code in (409, 429) or response.status_code >= 500:
                if response.status_code == 409 and _code(response) != "idempotency_key_in_use":
                    entry.verdict = "refused"  # e.g. a stale update: definite
                    return
                retry_after = float(response.headers.get("retry-after", "1"))
                await asyncio.sleep(min(retry_after, RETRY_DELAY_CAP))
                continue
            entry.verdict = "refused"
            return


def _code(response: httpx.Response) -> str | None:
    try:
        code: str | None = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code
