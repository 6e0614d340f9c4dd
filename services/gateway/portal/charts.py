"""Usage charts as SVG drawn on the server: no chart library, no script, nothing for the
Content-Security-Policy to allow. A key's requests per day (errors stacked on top) and per
route; each bar carries a <title> with its numbers, and each chart a text summary for
screen readers. Colours come from the stylesheet (classes), never inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

_WIDTH = 720
_DAY_HEIGHT = 160
_AXIS = 28  # room for the axis labels under the bars
_ROUTE_ROW = 22
_LABEL_WIDTH = 320


@dataclass(frozen=True)
class DayCount:
    day: date
    requests: int
    errors: int


@dataclass(frozen=True)
class RouteCount:
    method: str
    route: str
    requests: int


def per_day(counts: Sequence[DayCount], last_day: date, days: int) -> Markup:
    """`days` bars ending on `last_day`, a day without requests drawn as an empty slot."""
    by_day = {c.day: c for c in counts}
    span = [last_day - timedelta(days=days - 1 - i) for i in range(days)]
    filled = [by_day.get(d, DayCount(d, 0, 0)) for d in span]
    top = max((c.requests for c in filled), default=0) or 1
    slot = _WIDTH / days
    bars = "".join(_day_bar(i, c, slot, top) for i, c in enumerate(filled))
    total = sum(c.requests for c in filled)
    errors = sum(c.errors for c in filled)
    summary = f"{total} requests ({errors} errors), {span[0]} to {span[-1]}; at most {top} a day"
    labels = (
        _text(0, _DAY_HEIGHT + 18, str(span[0]), "start")
        + _text(_WIDTH, _DAY_HEIGHT + 18, str(span[-1]), "end")
        + _text(0, 12, f"{top} a day", "start", "axis-max")
    )
    return _svg("per-day", _DAY_HEIGHT + _AXIS, summary, bars + labels)


def per_route(counts: Sequence[RouteCount]) -> Markup:
    """One horizontal bar per method and route, busiest first."""
    rows = sorted(counts, key=lambda c: (-c.requests, c.route, c.method))
    if not rows:
        return _svg("per-route", _ROUTE_ROW, "no requests in this period", "")
    top = rows[0].requests or 1
    room = _WIDTH - _LABEL_WIDTH - 60
    parts = []
    for i, row in enumerate(rows):
        y = i * _ROUTE_ROW
        width = max(1.0, room * row.requests / top)
        label = f"{row.method} {row.route}"
        parts.append(
            _text(_LABEL_WIDTH - 8, y + 15, label, "end", "route-label")
            + f'<rect class="bar requests" x="{_LABEL_WIDTH}" y="{y + 4}" width="{width:.1f}"'
            f' height="{_ROUTE_ROW - 8}"><title>{escape(label)}: {row.requests}</title></rect>'
            + _text(_LABEL_WIDTH + width + 6, y + 15, str(row.requests), "start")
        )
    summary = "; ".join(f"{c.method} {c.route}: {c.requests}" for c in rows)
    return _svg("per-route", _ROUTE_ROW * len(rows), summary, "".join(parts))


def _day_bar(index: int, count: DayCount, slot: float, top: int) -> str:
    x = index * slot + slot * 0.15
    width = slot * 0.7
    ok_height = _DAY_HEIGHT * (count.requests - count.errors) / top
    error_height = _DAY_HEIGHT * count.errors / top
    tip = f"{count.day}: {count.requests} requests, {count.errors} errors"
    return (
        f'<g class="day" data-day="{count.day}" data-requests="{count.requests}"'
        f' data-errors="{count.errors}"><title>{escape(tip)}</title>'
        f'<rect class="bar requests" x="{x:.1f}" y="{_DAY_HEIGHT - ok_height:.1f}"'
        f' width="{width:.1f}" height="{ok_height:.1f}"/>'
        f'<rect class="bar errors" x="{x:.1f}" y="{_DAY_HEIGHT - ok_height - error_height:.1f}"'
        f' width="{width:.1f}" height="{error_height:.1f}"/></g>'
    )


def _text(x: float, y: float, text: str, anchor: str, css: str = "axis") -> str:
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _svg(name: str, height: int, summary: str, body: str) -> Markup:
    return Markup(  # noqa: S704  (every text above went through escape)
        f'<svg class="chart {name}" role="img" viewBox="0 0 {_WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<desc>{escape(summary)}</desc>{body}</svg>"
    )
