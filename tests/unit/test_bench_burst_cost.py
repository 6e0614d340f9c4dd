"""make bench states what a short burst of Python work costs on its box, warm and after a
sleep, so figures from two days can be told apart from a change of code."""

from __future__ import annotations

import pytest

from bench.baselines import burst_cost
from bench.report import print_report


def test_both_costs_are_medians_of_the_same_unit_and_the_ratio_is_theirs() -> None:
    burst = burst_cost(units=5)
    assert burst["back_to_back_us"] > 0
    assert burst["after_idle_us"] > 0
    assert burst["ratio"] == round(burst["after_idle_us"] / burst["back_to_back_us"], 2)


def test_the_report_prints_the_burst_beside_the_machine(capsys: pytest.CaptureFixture[str]) -> None:
    machine = {"cores": 2, "cpu": "x", "python": "3.11", "kafka": "4.0",
               "burst_cost": {"unit": "a unit", "idle_ms": 5.0, "back_to_back_us": 50.0,
                              "after_idle_us": 150.0, "ratio": 3.0}}  # fmt: skip
    print_report({"taken_at": "now", "machine": machine, "scenarios": []})
    assert "a unit): 50 us of CPU back to back, 150 us right after 5 ms asleep (3.0 times)" in (
        capsys.readouterr().out
    )
