"""Where PostgreSQL's time goes in a scenario: `pg_stat_statements`, reset before and read after.

The bench's PostgreSQL preloads the extension (devstack); against another server without it
the section is simply absent. Times are the server's execution time (planning excluded, as
`pg_stat_statements.track_planning` is off by default); commits' WAL flushes are not in them.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

TOP = 12


async def enable(pool: asyncpg.Pool) -> bool:
    """True when `pg_stat_statements` can be read on this server."""
    try:
        await pool.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await pool.execute("SELECT pg_stat_statements_reset()")
    except asyncpg.PostgresError:
        return False
    return True


async def reset(pool: asyncpg.Pool) -> None:
    await pool.execute("SELECT pg_stat_statements_reset()")


async def top(pool: asyncpg.Pool, events: int, limit: int = TOP) -> dict[str, Any]:
    """The statements that took the most execution time since `reset`.

    Returns {"total_ms", "calls", "per_event_ms", "statements": [{"query", "calls",
    "total_ms", "mean_ms", "rows", "share"}]}: `per_event_ms` divides the total execution time
    by `events` (the scenario's stored rows) when it is positive.
    """
    rows = await pool.fetch(
        """
        SELECT query, calls, total_exec_time AS total_ms, rows
          FROM pg_stat_statements
         WHERE query NOT ILIKE '%pg_stat_statements%'
         ORDER BY total_exec_time DESC
        """
    )
    total = sum(r["total_ms"] for r in rows)
    return {
        "total_ms": round(total, 1),
        "calls": sum(r["calls"] for r in rows),
        "per_event_ms": round(total / events, 4) if events > 0 else None,
        "statements": [
            {
                "query": _one_line(r["query"]),
                "calls": r["calls"],
                "total_ms": round(r["total_ms"], 1),
                "mean_ms": round(r["total_ms"] / max(r["calls"], 1), 4),
                "rows": r["rows"],
                "share": round(r["total_ms"] / total, 3) if total else 0.0,
            }
            for r in rows[:limit]
        ],
    }


def _one_line(query: str, width: int = 110) -> str:
    text = re.sub(r"\s+", " ", query).strip()
    return text if len(text) <= width else text[: width - 1] + "…"
