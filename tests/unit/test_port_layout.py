"""Checkouts on one machine run their stacks with PINNED_PORT_OFFSET in thousands (1000,
2000, ...), so no two local ports may differ by a multiple of 1000 below 10000: a suite's
extra gateway on 18092 met a neighbour's test broker on 19092 one offset up, and failed to
bind. (Profiles 10000 apart, such as 8080 and 18080, meet only at offsets that far apart.)"""

from __future__ import annotations

import ast
from itertools import combinations
from pathlib import Path

from bench.__main__ import REPLICA_PORT_OFFSET
from chaos.cluster import NODE_PORTS, SERVICE_PORTS
from chaos.stack import EXTRA_PUBLISHER_PORT
from devstack.stack import BENCH, CHAOS, RUN, TEST, StackProfile

ROOT = Path(__file__).resolve().parents[2]
EPHEMERAL_START = 32768  # Linux's ip_local_port_range starts here
MAX_OFFSET_SPREAD = 10_000


def profile_ports(profile: StackProfile) -> set[int]:
    return {
        profile.base_kafka_port,
        profile.base_controller_port,
        profile.base_postgres_port,
        *profile.base_service_ports.values(),
    }


def shifted_literals() -> set[int]:
    """Every `shifted(<number>)` in the tests: the extra processes they start."""
    ports = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "shifted"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, int)
            ):
                ports.add(node.args[0].value)
    return ports


def all_ports() -> set[int]:
    # make bench runs replicas of the gateway, the publisher and discovery (two or three).
    replicated = ("gateway", "publisher", "discovery")
    bench_replicas = {BENCH.base_service_ports[name] + REPLICA_PORT_OFFSET * i
                      for name in replicated for i in (1, 2)}  # fmt: skip
    return (
        set().union(*(profile_ports(p) for p in (RUN, TEST, BENCH, CHAOS)))
        | shifted_literals()
        | {port for pair in NODE_PORTS for port in pair}
        | set(SERVICE_PORTS.values())
        | {EXTRA_PUBLISHER_PORT}
        | bench_replicas
    )


def test_the_scan_finds_the_suites_extra_ports() -> None:
    assert {18090, 18091, 19192} <= shifted_literals()


def test_no_two_ports_meet_under_offsets_in_thousands() -> None:
    clashes = [
        (a, b)
        for a, b in combinations(sorted(all_ports()), 2)
        if (b - a) % 1000 == 0 and b - a < MAX_OFFSET_SPREAD
    ]
    assert not clashes, f"these ports meet when two checkouts' offsets differ: {clashes}"


def test_unshifted_ports_stay_below_the_ephemeral_range() -> None:
    assert max(all_ports()) < EPHEMERAL_START
