"""The benchmark's table for people; the JSON beside it is for machines."""

from __future__ import annotations

from typing import Any


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"\nPinned Events benchmark, {report['taken_at']}: {m['cores']} cores ({m['cpu']}), "
          f"Python {m['python']}, Kafka {m['kafka']}, all on one box")  # fmt: skip
    if burst := m.get("burst_cost"):
        print(f"A small burst of Python work ({burst['unit']}): {burst['back_to_back_us']:.0f} us "
              f"of CPU back to back, {burst['after_idle_us']:.0f} us right after "
              f"{burst['idle_ms']:.0f} ms asleep ({burst['ratio']:.1f} times)")  # fmt: skip
    baselines = report.get("baselines", {})
    kafka_rate = baselines.get("kafka_producer", {}).get("records_per_second")
    pg_rate = baselines.get("postgres_insert", {}).get("rows_per_second")
    for title, prefix in (("Single-event API", "single"), ("Webhook deliveries", "webhook")):
        rows = [s for s in report["scenarios"] if s["scenario"].startswith(prefix)]
        if rows:
            print(f"\n{title} (open model; latency from the scheduled send time)")
            _rate_table(rows, kafka_rate)
    for s in report["scenarios"]:
        if s["scenario"].startswith("batch"):
            lat = s["request_latency_ms"]
            print(
                f"\nBatch endpoint, {s.get('gateways', 1)} gateway(s): "
                f"{s['accepted']}/{s['events']} accepted at "
                f"{s['accepted_events_per_second']:.0f} events/s, "
                f"{s['events_to_rows_per_second']:.0f} events/s to rows, "
                f"request p50 {lat.get('p50', 0):.0f} ms, p99 {lat.get('p99', 0):.0f} ms, "
                f"lost {s['lost']}"
                + (f", refused and sent again {s['refused_requests']}"
                   if s.get("refused_requests") else "")
            )  # fmt: skip
    for s in report["scenarios"]:
        if s["scenario"].startswith("publisher"):
            ratio = f" ({s['rows_per_second'] / pg_rate:.1%} of raw inserts)" if pg_rate else ""
            print(f"\nPublisher backlog, {s.get('publishers', 1)} publisher(s): "
                  f"{s['stored']}/{s['commands']} stored, "
                  f"{s['rows_per_second']:.0f} rows/s{ratio}")  # fmt: skip
            busiest = sorted(s.get("box_usage", {}).items(), key=lambda i: -i[1]["cpu_percent"])
            print("  cpu while draining: " + ", ".join(
                f"{name} {use['cpu_percent']:.0f}%" for name, use in busiest[:8]))  # fmt: skip
    for s in report["scenarios"]:
        if s["scenario"].startswith("overload"):
            print_overload(s)
    _spikes(report["scenarios"])
    _cpu_table(report.get("cpu_per_event", []))
    _statements(report["scenarios"])
    if "discovery" in report:
        _discovery_table(report["discovery"])
    print("\nCPU and peak RSS per process (last API scenario)")
    last = [s for s in report["scenarios"] if "offered_rate" in s][-1:]
    for name, use in last[0]["process_usage"].items() if last else []:
        print(
            f"  {name:<10} cpu {use['cpu_percent']:>6.1f}%   "
            f"peak rss {use['peak_rss_mib']:>8.1f} MiB"
        )
    if last:
        print(
            f"  {'load gen':<10} cpu {last[0]['load_generator_cpu_percent']:>6.1f}%   "
            "(the separate load-generator process)"
        )
    if "soak" in report:
        print(f"\nSoak RSS growth: {report['soak']['rss_growth_percent']}")
    else:
        print("\nSoak: skipped (run with --soak-seconds 600)")
    if kafka_rate:
        k = baselines["kafka_producer"]
        print(
            f"\nBaselines: kafka-producer-perf-test {kafka_rate:.0f} records/s "
            f"(p99 {k['latency_ms']['p99']:.0f} ms, {k['record_size_bytes']} B, acks=all); ",
            end="",
        )
    if pg_rate:
        print(f"raw PostgreSQL inserts {pg_rate:.0f} rows/s")
    _targets(report.get("targets") or target_rows(report))


def _statements(scenarios: list[dict[str, Any]], shown: int = 6) -> None:
    """PostgreSQL's busiest statements per scenario (execution time, pg_stat_statements)."""
    for s in scenarios:
        profile = s.get("postgres_statements")
        if not profile:
            continue
        rate = f" at {s['offered_rate']:.0f}/s" if "offered_rate" in s else ""
        per_event = profile["per_event_ms"]
        print(f"\nPostgreSQL statements, {s['scenario']}{rate}: {profile['total_ms']:.0f} ms "
              f"in {profile['calls']} calls"
              + (f", {per_event:.3f} ms per stored event" if per_event else ""))  # fmt: skip
        for st in profile["statements"][:shown]:
            print(f"  {st['share']:>5.1%} {st['calls']:>8} calls {st['mean_ms']:>8.3f} ms  "
                  f"{st['query'][:90]}")  # fmt: skip


def _rate_table(rows: list[dict[str, Any]], kafka_rate: float | None) -> None:
    header = (f"{'offered/s':>10} {'accepted/s':>10} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7} {'stored p50':>10} {'stored p99':>10} {'rows/s':>7} "
              f"{'lost':>4} {'vs kafka':>8} {'cpu busy':>8}")  # fmt: skip
    print(header)
    for s in rows:
        lat, st = s["accept_latency_ms"], s["request_to_stored_ms"]
        ratio = f"{s['accepted_per_second'] / kafka_rate:.1%}" if kafka_rate else "n/a"
        print(f"{s['offered_rate']:>10.0f} {s['accepted_per_second']:>10.0f} {s['errors']:>6} "
              f"{lat.get('p50', 0):>7.1f} {lat.get('p95', 0):>7.1f} {lat.get('p99', 0):>7.1f} "
              f"{lat.get('max', 0):>7.1f} {st.get('p50', 0):>10.1f} {st.get('p99', 0):>10.1f} "
              f"{s['publisher_rows_per_second']:>7.0f} {s['lost']:>4} {ratio:>8} "
              f"{s['machine_busy_percent']:>7.0f}%")  # fmt: skip
        if s["errors"] or s.get("client_retries"):
            print(f"{'':>10} errors by status {s['error_statuses']}, unanswered "
                  f"{s.get('unanswered') or {}}; sent again after a keep-alive close crossed "
                  f"them: {s.get('client_retries', 0)}")  # fmt: skip


def _spikes(scenarios: list[dict[str, Any]], shown: int = 3) -> None:
    """Per load, the seconds of sends whose p99 exceeded twice the median second's, and what
    the box did meanwhile (`bench.timeline`)."""
    runs = [s for s in scenarios if s.get("timeline", {}).get("median_second_p99_ms")]
    if not runs:
        return
    print("\nLatency spikes: seconds of sends whose accepted p99 exceeded twice the median "
          "second's; beside each, what the box did while they waited (CPU as a share of a "
          "core, change against the run's median)")  # fmt: skip
    for s in runs:
        t = s["timeline"]
        name = s["scenario"].split(" (")[0]
        rate = f" {s['offered_rate']:.0f}/s" if "offered_rate" in s else ""
        during = f", {t['seconds_with_autovacuum']} during autovacuum" if t["spike_seconds"] else ""
        print(f"  {name}{rate}: {t['spike_seconds']} of them "
              f"(median second {t['median_second_p99_ms']:.0f} ms){during}")  # fmt: skip
        for spike in t["spikes"][:shown]:
            moved = ", ".join(f"{n} {d:+.0f}" for n, d in spike["cpu_moved"].items())
            vacuum = (f"autovacuum {spike['autovacuum_cpu']:.0f}% "
                      f"({'; '.join(spike['autovacuum_work']) or 'finished'})"
                      if spike["autovacuum_cpu"] >= 5 else "no autovacuum")  # fmt: skip
            if spike.get("checkpointer_cpu", 0) >= 5:
                vacuum += f"; checkpointer {spike['checkpointer_cpu']:.0f}%"
            print(
                f"    second {spike['second']}: p99 {spike['p99_ms']:.0f} ms; {vacuum}; "
                f"box busy {spike['busy']:.0f}%, steal {spike['steal']:.0f}%; {moved}"
            )


def _discovery_table(found: dict[str, Any]) -> None:
    print(f"\nDiscovery: {found['events']} events across {found['cities']} cities "
          f"(filled in {found['fill_seconds']} s); cold build of the 1,000-event feed: "
          f"{found['cold_feed_build_ms']} ms")  # fmt: skip
    if "visibility" in found:
        print(f"From a 201 to the event's public page: {found['visibility']['answer_to_page_ms']}")
    print(f"{'scenario':<26} {'replicas':>8} {'offered/s':>9} {'ok':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'cpu busy':>8} {'cache hits':>10} "
          f"{'discovery':>9} {'postgres':>8}")  # fmt: skip
    for run in found["runs"]:
        lat = run["latency_ms"]
        print(f"{run['scenario'].removeprefix('discovery: '):<26} {run.get('replicas', 1):>8} "
              f"{run['offered_rate']:>9.0f} "
              f"{run['ok']:>7} {lat.get('p50', 0):>7.1f} {lat.get('p99', 0):>7.1f} "
              f"{lat.get('max', 0):>7.1f} {run['machine_busy_percent']:>7.0f}% "
              f"{_hit_share(run):>10} {_cpu_ms(run, 'discovery'):>9} "
              f"{_cpu_ms(run, 'postgres'):>8}")  # fmt: skip
    print("(discovery, postgres: CPU milliseconds per request answered, replicas summed)")


def _cpu_ms(run: dict[str, Any], service: str) -> str:
    seconds = sum(u.get("cpu_seconds", 0.0) for name, u in run.get("process_usage", {}).items()
                  if name.split("-")[0] == service)  # fmt: skip
    return f"{1000 * seconds / run['ok']:.2f}" if run.get("ok") else "-"


def _hit_share(run: dict[str, Any]) -> str:
    counts = run.get("search_cache") or {}
    asked = counts.get("hit", 0) + counts.get("miss", 0)
    return f"{100 * counts['hit'] / asked:.0f}%" if asked else "-"


# Issue 18's targets, milliseconds of CPU per unit of work.
CPU_TARGETS_MS = {
    ("gateway", "request"): 0.4,
    ("gateway", "batch item"): 0.03,
    ("publisher", "row"): 0.05,
}


def cpu_per_event(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CPU milliseconds per unit of work, from each process's CPU counters over a scenario
    (replicas summed): gateway per request answered and per batch item, publisher per row."""
    found: list[dict[str, Any]] = []

    def add(scenario: str, service: str, unit: str, count: int, usage: dict[str, Any]) -> None:
        seconds = sum(u.get("cpu_seconds", 0.0) for name, u in usage.items()
                      if name.split("-")[0] == service)  # fmt: skip
        if count and seconds:
            found.append({"scenario": scenario, "service": service, "unit": unit,
                          "ms": 1000 * seconds / count,
                          "target_ms": CPU_TARGETS_MS.get((service, unit))})  # fmt: skip

    for s in scenarios:
        usage, name = s.get("process_usage", {}), s["scenario"]
        if "offered_rate" in s:
            label = f"{name.split(' (')[0]} at {s['offered_rate']:.0f}/s"
            add(label, "gateway", "request", s["requests"], usage)
            add(label, "publisher", "row", s["stored"], usage)
        elif name.startswith("overload"):
            add("overload burst run (all phases)", "gateway", "request", s["requests"], usage)
        elif name.startswith("batch"):
            label = f"batch endpoint, {s.get('gateways', 1)} gateway(s)"
            add(label, "gateway", "batch item", s["events"], usage)
            add(label, "publisher", "row", s["stored"], usage)
        elif name.startswith("publisher"):
            add(f"backlog, {s.get('publishers', 1)} publisher(s)", "publisher", "row",
                s["stored"], usage)  # fmt: skip
            add(f"backlog, {s.get('publishers', 1)} publisher(s), changes relayed", "publisher",
                "row", s["stored"], s.get("process_usage_until_relayed", {}))  # fmt: skip
    return found


def _cpu_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    print("\nCPU per event (process CPU counters over each scenario; all on one box)")
    print(f"{'scenario':<40} {'service':<10} {'per':<11} {'ms':>7} {'target':>7}")
    for r in rows:
        target = r["target_ms"]
        verdict = "" if target is None else ("  met" if r["ms"] <= target else "  not met")
        print(f"{r['scenario']:<40} {r['service']:<10} {r['unit']:<11} {r['ms']:>7.3f} "
              f"{target if target is not None else '':>7}{verdict}")  # fmt: skip


def print_overload(s: dict[str, Any]) -> None:
    """One paragraph for an overload run (`overload_scenario`'s result); results written
    before 2026-12-03, 12:40 UTC judged back to normal per 0.5-s window, so a span of 0.5."""
    refusal, good = s["refusal_latency_ms"], s["accepted_latency_ms"]
    lag = s.get("load_generator_lag_ms", {})
    wait = s.get("connection_wait_ms", {})
    back = s["back_to_normal_seconds"]
    step, span = s.get("back_to_normal_step_and_span_seconds", (0.5, 0.5))
    print(
        f"\nOverload: {2 * s['capacity']:.0f}/s offered for {s['burst_seconds']:.0f} s (twice "
        f"{s['capacity']:.0f}/s): goodput {s['goodput_per_second']:.0f}/s "
        f"({s['goodput_of_capacity']:.0%} of capacity); {s['refused']} refused "
        f"({s['refused_with_retry_after']} with Retry-After), refusal p99 "
        f"{refusal.get('p99', 0):.1f} ms; accepted p99 {good.get('p99', 0):.0f} ms, max "
        f"{good.get('max', 0):.0f} ms; back to normal {_seconds(back)} after the burst "
        f"(calm p99 {s['calm_p99_ms']:.0f} ms, judged over {span:g}-s spans; every {step:g}-s "
        f"window's slowest request within it: "
        f"{_seconds(s.get('slowest_window_back_to_normal_seconds'))}); "
        f"other errors {s['other_errors'] or 0}; "
        f"lost {s['lost']}, duplicated or unaccepted rows {s['duplicated_or_unaccepted_rows']}; "
        f"part of every latency: the load generator's own lag p99 {lag.get('p99', 0):.1f} ms, "
        f"its wait for a free connection p99 {wait.get('p99', 0):.1f} ms"
    )


def _seconds(value: float | None) -> str:
    return "never, within the run" if value is None else f"{value:.1f} s"


def target_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issues 15's and 18's targets beside what this run measured: `target`, `measured` (text)
    and `met` (True, False, or None when the run did not measure it)."""
    rows: list[dict[str, Any]] = []

    def add(target: str, measured: str | None, met: bool | None) -> None:
        rows.append({"target": target, "measured": measured or "not measured", "met": met})

    scenarios = report.get("scenarios", [])
    singles = [s for s in scenarios if s["scenario"].startswith("single")]
    sustained = [s["offered_rate"] for s in singles if s["errors"] == 0 and s["lost"] == 0]
    top = max(sustained, default=None)
    add("single event: at least 1,600 requests/s sustained",
        None if not singles else f"{top or 0:.0f}/s (highest offered rate accepted in full)",
        None if not singles else (top or 0) >= 1600)  # fmt: skip
    at_500 = next((s for s in singles if s["offered_rate"] == 500), None)
    if at_500 is None:
        add("single event: p99 at most 50 ms at 500/s", None, None)
    else:
        p99 = at_500["accept_latency_ms"].get("p99", 0)
        add("single event: p99 at most 50 ms at 500/s",
            f"{p99:.0f} ms ({at_500['errors']} refused or failed)",
            p99 <= 50 and at_500["errors"] == 0)  # fmt: skip
    overload = next((s for s in scenarios if s["scenario"].startswith("overload")), None)
    if overload is None:
        for target in ("overload: goodput at least 90% of capacity",
                       "overload: excess refused within 20 ms (p99)",
                       "overload: no accepted request waits over 1 s",
                       "overload: back to normal within 5 s"):  # fmt: skip
            add(target, None, None)
    else:
        share, back = overload["goodput_of_capacity"], overload["back_to_normal_seconds"]
        refusal = overload["refusal_latency_ms"].get("p99", 0)
        waited = overload["accepted_latency_ms"].get("max", 0)
        add("overload: goodput at least 90% of capacity",
            f"{share:.0%} of {overload['capacity']:.0f}/s", share >= 0.9)  # fmt: skip
        add("overload: excess refused within 20 ms (p99)",
            f"{refusal:.1f} ms ({overload['refused']} refused)", refusal <= 20)  # fmt: skip
        add("overload: no accepted request waits over 1 s", f"max {waited:.0f} ms",
            waited <= 1000)  # fmt: skip
        add("overload: back to normal within 5 s", _seconds(back),
            back is not None and back <= 5)  # fmt: skip
    batches = [s["events_to_rows_per_second"] for s in scenarios
               if s["scenario"].startswith("batch")]  # fmt: skip
    add("batch endpoint: at least 25,000 events/s to rows",
        f"{max(batches):.0f} events/s" if batches else None,
        max(batches) >= 25_000 if batches else None)  # fmt: skip
    drains = [s for s in scenarios
              if s["scenario"].startswith("publisher") and s.get("publishers", 1) == 1]  # fmt: skip
    add("publisher: at least 20,000 rows/s per process from a backlog",
        f"{drains[0]['rows_per_second']:.0f} rows/s from {drains[0]['commands']:,}"
        if drains else None,
        drains[0]["rows_per_second"] >= 20_000 if drains else None)  # fmt: skip
    cpu = report.get("cpu_per_event", [])
    # The publisher's figure until its change relay has sent every row's record, where the run
    # has it (a drain alone leaves the relay's late work uncounted).
    relayed = any(r["scenario"] == "backlog, 1 publisher(s), changes relayed" for r in cpu)
    for service, unit, where in (("gateway", "request", "single-event API at 500/s"),
                                 ("gateway", "batch item", "batch endpoint, 1 gateway(s)"),
                                 ("publisher", "row", "backlog, 1 publisher(s)"
                                  + (", changes relayed" if relayed else ""))):  # fmt: skip
        limit = CPU_TARGETS_MS[(service, unit)]
        found = next((r for r in cpu if r["service"] == service and r["unit"] == unit
                      and r["scenario"] == where), None)  # fmt: skip
        add(f"CPU: {service} at most {limit} ms per {unit}",
            None if found is None else f"{found['ms']:.3f} ms ({where})",
            None if found is None else found["ms"] <= limit)  # fmt: skip
    lost = sum(s.get("lost", 0) for s in scenarios)
    add("0 lost", f"{lost} lost over {len(scenarios)} scenarios" if scenarios else None,
        lost == 0 if scenarios else None)  # fmt: skip
    growth = (report.get("soak") or {}).get("rss_growth_percent")
    add("soak: RSS growth under 10% per service over 10 minutes",
        None if not growth else ", ".join(f"{k} {v:+.1f}%" for k, v in growth.items()),
        None if not growth else all(v < 10 for v in growth.values()))  # fmt: skip
    runs = (report.get("discovery") or {}).get("runs", [])
    for name, label in (("search", "search"), ("search, distinct", "search, each its own"),
                        ("1,000-event feed (.ics)", "1,000-event feed")):  # fmt: skip
        at = [r for r in runs if r["scenario"].removeprefix("discovery: ") == name
              and r["offered_rate"] == 500]  # fmt: skip
        best = min(at, key=lambda r: r["latency_ms"].get("p99", 0), default=None)
        add(f"discovery: {label} p99 at most 50 ms at 500/s",
            None if best is None else
            f"{best['latency_ms'].get('p99', 0):.0f} ms ({best.get('replicas', 1)} replica(s), "
            f"{best['ok']}/{best['requests']} answered 200, cache hits {_hit_share(best)})",
            None if best is None else best["latency_ms"].get("p99", 0) <= 50
            and best["ok"] == best["requests"])  # fmt: skip
    return rows


def _targets(rows: list[dict[str, Any]]) -> None:
    print("\nTargets (issues 15 and 18)")
    for row in rows:
        verdict = {True: "met", False: "NOT MET", None: "-"}[row["met"]]
        print(f"  {verdict:<8} {row['target']:<62} {row['measured']}")
