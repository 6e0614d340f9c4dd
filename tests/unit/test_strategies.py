"""The property tests' generators draw both halves: bodies validation accepts and bodies it
refuses. A generator that drew only one half would make those tests prove nothing."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings

from shared.domain.events import InvalidEvent, apply_patch, parse_event, parse_patch
from tests.examples import RICH, docs_example
from tests.strategies import event_bodies, patch_bodies

STORED = parse_event(docs_example(**RICH)).model_dump(mode="json", exclude={"status"})


def accepted_share(check: object, strategy: object) -> float:
    seen: Counter[bool] = Counter()

    @settings(max_examples=400, derandomize=True)
    @given(strategy)
    def classify(body: dict[str, object]) -> None:
        try:
            check(body)  # type: ignore[operator]
            seen[True] += 1
        except InvalidEvent:
            seen[False] += 1

    classify()
    return seen[True] / sum(seen.values())


def test_event_bodies_are_accepted_about_half_the_time() -> None:
    assert 0.2 <= accepted_share(parse_event, event_bodies(channel_id=42)) <= 0.8


def test_patch_bodies_are_accepted_about_half_the_time() -> None:
    def check(body: dict[str, object]) -> None:
        apply_patch(STORED, parse_patch(body).changes(), 42)

    assert 0.2 <= accepted_share(check, patch_bodies()) <= 0.8
