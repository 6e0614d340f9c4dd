"""The ledger of every request the load sent and how the gateway answered, and the check
of the stored data against it once the pipeline has drained.

Verdicts per request: `acknowledged` (some attempt got 2xx: must be stored exactly once),
`refused` (a definite 4xx: must not be stored) and `unknown` (no definite answer, e.g. the
connection broke: stored at most once). Retries reuse the request's Idempotency-Key, as the
docs tell integrators to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import asyncpg

Verdict = Literal["acknowledged", "refused", "unknown"]


@dataclass
class Entry:
    title: str  # unique per request: what identifies its row
    kind: Literal["api", "webhook"]
    verdict: Verdict = "unknown"
    statuses: list[int] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


@dataclass
class SequenceEntry:
    """PATCHes to one event with increasing sourceUpdatedAt: the stored title must end at the
    newest acknowledged one (or a newer unknown one), never an older one."""

    event_id: str
    acknowledged: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)


@dataclass
class Check:
    sent: int
    acknowledged: int
    stored: int
    lost: int
    duplicated: int
    stored_after_refusal: int
    reordered: int
    audit_missing: int = 0
    audit_duplicated: int = 0

    @property
    def passed(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.stored_after_refusal
            or self.reordered
            or self.audit_missing
            or self.audit_duplicated
        )


class Ledger:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.sequences: list[SequenceEntry] = []
        self.statuses_during_fault: list[tuple[int, str | None]] = []

    async def check(self, db: asyncpg.Pool, account_id: int, audit: bool = False) -> Check:
        rows = await db.fetch(
            "SELECT title, count(*) AS n FROM events WHERE owner_account_id = $1 GROUP BY title",
            account_id,
        )
        stored = {r["title"]: r["n"] for r in rows}
        acked = [e for e in self.entries if e.verdict == "acknowledged"]
        refused = [e for e in self.entries if e.verdict == "refused"]
        check = Check(
            sent=len(self.entries),
            acknowledged=len(acked),
            stored=sum(1 for e in self.entries if stored.get(e.title, 0) > 0),
            lost=sum(1 for e in acked if stored.get(e.title, 0) == 0),
            duplicated=sum(1 for e in self.entries if stored.get(e.title, 0) > 1),
            stored_after_refusal=sum(1 for e in refused if stored.get(e.title, 0) > 0),
            reordered=await self._reordered(db),
        )
        if audit:
            check.audit_missing, check.audit_duplicated = await self._audit(db)
        return check

    async def _reordered(self, db: asyncpg.Pool) -> int:
        broken = 0
        for seq in self.sequences:
            title = await db.fetchval("SELECT title FROM events WHERE id = $1::uuid", seq.event_id)
            final = int(title.rsplit(" ", 1)[1]) if title and title.startswith("seq ") else -1
            newest_acked = max(seq.acknowledged, default=-1)
            if final < newest_acked:
                broken += 1
        return broken

    async def _audit(self, db: asyncpg.Pool) -> tuple[int, int]:
        """Every answered request leaves exactly one audit row."""
        answered = [rid for e in self.entries for rid in e.request_ids]
        rows = await db.fetch(
            "SELECT request_id, count(*) AS n FROM audit_log WHERE request_id = ANY($1::text[])"
            " GROUP BY request_id",
            answered,
        )
        counts = {r["request_id"]: r["n"] for r in rows}
        missing = sum(1 for rid in answered if rid not in counts)
        duplicated = sum(1 for n in counts.values() if n > 1)
        return missing, duplicated
