"""Reading PostgreSQL's plans (EXPLAIN (FORMAT JSON), auto_explain's JSON) in tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`node` and every node below it, depth first."""
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def plan_reads(plan: Any, relation: str) -> list[dict[str, Any]]:
    """The nodes of an EXPLAIN (FORMAT JSON) result that read `relation`."""
    return [n for n in plan_nodes(plan[0]["Plan"]) if n.get("Relation Name") == relation]
