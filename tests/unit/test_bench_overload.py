"""The overload scenario's arithmetic, on made-up samples: what `make bench` reports must
follow from what the load generator saw."""

from __future__ import annotations

from typing import Any

from bench.load import schedule
from bench.overload import CALM_SECONDS, analyse, back_to_normal, slowest_window_back_to_normal
from bench.report import cpu_per_event, print_overload


def sample(offset: float, status: int, latency: float, code: str | None = None) -> dict[str, Any]:
    return {"offset": offset, "status": status, "latency": latency, "code": code,
            "retry_after": status == 503}  # fmt: skip


def test_phases_are_sent_one_after_another_at_their_rates() -> None:
    times = schedule([(2, 1), (4, 0.5), (1, 2)])
    assert times == [0.0, 0.5, 1.0, 1.25, 1.5, 2.5]


def test_goodput_refusals_and_latency_of_the_burst() -> None:
    burst = 10.0
    samples = [sample(t / 10, 202, 0.010) for t in range(int(CALM_SECONDS * 10))]
    for i in range(200):  # 20/s for 10 s: half accepted, half refused
        offset = CALM_SECONDS + i / 20
        samples.append(
            sample(offset, 202, 0.2) if i % 2 else sample(offset, 503, 0.002, "overloaded")
        )
        samples[-1]["client_lag"] = 0.05 if i == 0 else 0.001  # the generator late once
    samples += [sample(CALM_SECONDS + burst + t / 10, 202, 0.01) for t in range(30)]
    found = analyse(samples, capacity=10, seconds=burst)
    assert found["goodput_per_second"] == 10
    assert found["goodput_of_capacity"] == 1.0
    assert found["refused"] == found["refused_with_retry_after"] == 100
    assert found["refusal_latency_ms"]["p99"] == 2.0
    assert found["accepted_latency_ms"]["max"] == 200.0
    assert found["other_errors"] == {}
    assert found["load_generator_lag_ms"]["p50"] == 1.0
    assert found["load_generator_lag_ms"]["max"] == 50.0
    assert found["back_to_normal_seconds"] == 0.0


def test_back_to_normal_is_the_first_step_from_which_every_span_stays_normal() -> None:
    slow, fast = 0.5, 0.01
    # 100/s for 6 s after the burst: slow for the first 1.2 s, then fast.
    after = [sample(10 + t / 100, 202, slow if t < 120 else fast) for t in range(600)]
    assert back_to_normal(after, burst_end=10, normal=fast) == 1.5  # the first span past it
    after[300] = sample(13.0, 503, 0.001, "overloaded")  # a refusal later still counts
    assert back_to_normal(after, burst_end=10, normal=fast) == 3.5
    assert back_to_normal(after[:150], burst_end=10, normal=fast) is None  # no span ends calm


def test_one_straggler_is_not_a_queue_but_the_window_reading_counts_it() -> None:
    fast = 0.01
    after = [sample(10 + t / 100, 202, fast) for t in range(800)]
    after[350] = sample(13.5, 202, 0.3)  # one request preempted well after the burst
    assert back_to_normal(after, burst_end=10, normal=fast) == 0.0
    assert slowest_window_back_to_normal(after, burst_end=10, normal=fast) == 4.0
    for t in range(350, 360):  # a tenth of a second of slow requests is a queue again
        after[t] = sample(10 + t / 100, 202, 0.3)
    assert back_to_normal(after, burst_end=10, normal=fast) == 4.0


def test_cpu_per_event_sums_replicas_and_divides_by_the_work() -> None:
    scenarios = [
        {"scenario": "batch endpoint (500 events per request)", "gateways": 2, "events": 1000,
         "stored": 1000, "process_usage": {"gateway": {"cpu_seconds": 0.01},
                                           "gateway-8090": {"cpu_seconds": 0.02},
                                           "publisher": {"cpu_seconds": 0.04}}},
    ]  # fmt: skip
    rows = {(r["service"], r["unit"]): r["ms"] for r in cpu_per_event(scenarios)}
    assert rows == {("gateway", "batch item"): 0.03, ("publisher", "row"): 0.04}


def test_the_report_prints_both_readings_of_back_to_normal(capsys: Any) -> None:
    burst, fast = 10.0, 0.01
    samples = [sample(t / 100, 202, fast) for t in range(int(CALM_SECONDS * 100))]
    samples += [sample(CALM_SECONDS + t / 10, 202, fast) for t in range(int(burst * 10))]
    after = [sample(CALM_SECONDS + burst + t / 100, 202, fast) for t in range(800)]
    after[350] = sample(CALM_SECONDS + burst + 3.5, 202, 0.3)  # one straggler
    found = analyse(samples + after, capacity=10, seconds=burst)
    print_overload({**found, "capacity": 10, "burst_seconds": burst, "lost": 0,
                    "duplicated_or_unaccepted_rows": 0})  # fmt: skip
    line = capsys.readouterr().out
    assert "back to normal 0.0 s after the burst" in line
    assert "judged over 2-s spans; every 0.5-s window's slowest request within it: 4.0 s" in line
