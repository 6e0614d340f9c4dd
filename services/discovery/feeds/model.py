"""What every feed format is built from: a titled list of public events (or occurrences of
recurring events), soonest first, and the whole state of each recurring event listed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# JSON Feed and Atom list a recurring event's next occurrences, not all of a year's.
NEXT_OCCURRENCES = 5


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    page_url: str  # the HTML page of the same scope
    feed_url: str  # where this feed is served
    base_url: str
    refresh_minutes: int
    rows: list[dict[str, Any]]  # read-model rows: event, status, version, channel
    built_at: datetime
    # discovery_series rows (version, event, changed_at) of the recurring events in `rows`
    series: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

    @property
    def updated(self) -> datetime:
        changes = [row["changed_at"] for row in self.rows]
        return max(changes) if changes else self.built_at


def next_occurrences(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Every single event, and of each recurring event its next NEXT_OCCURRENCES
    occurrences that have not started (rows soonest first, so the first ones met)."""
    listed = []
    taken: dict[uuid.UUID, int] = {}
    for row in rows:
        if row["recurrence_id"] is None:
            listed.append(row)
            continue
        series = row["series_id"]
        if row["start_at"] >= now and taken.get(series, 0) < NEXT_OCCURRENCES:
            taken[series] = taken.get(series, 0) + 1
            listed.append(row)
    return listed
