"""What every feed format is built from: a titled list of public events, soonest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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

    @property
    def updated(self) -> datetime:
        changes = [row["changed_at"] for row in self.rows]
        return max(changes) if changes else self.built_at
