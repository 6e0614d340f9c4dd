"""`python -m bench` (`make bench`): start the stack, measure, print a table, write JSON."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import discovery, statements
from bench.baselines import burst_cost, kafka_producer_baseline, postgres_insert_baseline
from bench.load import API_CONNECTIONS
from bench.overload import overload_scenario
from bench.report import cpu_per_event, print_report, target_rows
from bench.scenarios import Tenant, api_scenario, backlog_scenario, batch_scenario, snapshot
from devstack.kafka import kafka_version
from devstack.stack import BENCH, SERVICES, Servers, ServiceProcess, servers, service_env, step
from shared.adapters import integrations, key_store
from shared.adapters.integrations import IntegrationDefaults, IntegrationSpec
from shared.adapters.postgres import connect
from shared.domain.api_keys import PUBLIC_SCOPES

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = "1000000000"
SERVICE_ENV = {
    "RATE_LIMIT_PER_IP": UNLIMITED,
    "RATE_LIMIT_PER_KEY": UNLIMITED,
    "RATE_LIMIT_EVENTS_CREATE_PER_KEY": UNLIMITED,
    "RATE_LIMIT_WEBHOOK_PER_INTEGRATION": UNLIMITED,
    "DISCOVERY_RATE_LIMIT_PER_IP": UNLIMITED,
    "LOG_LEVEL": "INFO",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rates", default="250,500,750,1000", help="offered rates, requests/s")
    parser.add_argument("--seconds", type=float, default=15, help="duration of each rate")
    parser.add_argument("--backlog", type=int, default=100_000, help="commands to drain")
    parser.add_argument("--webhook-rates", default="250,500", help="webhook deliveries/s")
    parser.add_argument(
        "--api-connections", type=int, default=API_CONNECTIONS,
        help="the API and webhook scenarios' client connections: past that many requests in "
        "flight the rest wait in the client (the default measures the server as an open-model "
        "client such as vegeta would)",
    )  # fmt: skip
    parser.add_argument("--batches", type=int, default=40, help="batches of 500 to send")
    parser.add_argument(
        "--batch-gateways", default="1", help="gateway replicas the batch scenario runs with"
    )
    parser.add_argument(
        "--backlog-publishers", default="1", help="publisher replicas draining the backlog"
    )
    parser.add_argument("--baseline-records", type=int, default=200_000)
    parser.add_argument("--soak-seconds", type=float, default=0, help="0 skips the soak")
    parser.add_argument("--soak-rate", type=float, default=250)
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=60,
        help="unmeasured load first, until the broker's JIT compiler has settled: after 20 s at "
        "100/s its compiler threads still used 2.3 s of CPU in the next 30 s at 500/s",
    )
    parser.add_argument("--warmup-rate", type=float, default=250, help="the warm-up's requests/s")
    parser.add_argument(
        "--overload-seconds", type=float, default=60, help="the overload burst's length"
    )
    parser.add_argument(
        "--overload-capacity",
        type=float,
        default=0,
        help="requests/s taken as the capacity (the burst offers twice it); 0: the highest "
        "single-event rate of this run accepted in full",
    )
    parser.add_argument(
        "--scenarios",
        default="api,webhook,overload,batch,backlog,discovery,baselines",
        help="which to run, comma-separated",
    )
    parser.add_argument("--discovery-events", type=int, default=100_000)
    parser.add_argument("--discovery-cities", type=int, default=50)
    parser.add_argument(
        "--discovery-rates", default="250,500", help="search and feed requests/s offered"
    )
    parser.add_argument(
        "--discovery-replicas", default="1,2", help="discovery processes the load is spread over"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    return parser.parse_args()


async def make_tenant(database_url: str) -> Tenant:
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('bench') RETURNING id")
        channel = await conn.fetchval(
            "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'bench') RETURNING id",
            account,
        )
        issued = await key_store.issue(conn, account, "bench", PUBLIC_SCOPES, actor="bench")
        key = issued.token
    finally:
        await conn.close()
    return Tenant(account, channel, key)


async def connect_generic_sender(database_url: str, tenant: Tenant) -> tuple[str, str]:
    """A generic JSON integration on the tenant's channel: (webhook path, token)."""
    spec = IntegrationSpec(
        name="bench sender",
        source="generic",
        channelId=tenant.channel_id,
        defaults=IntegrationDefaults(classifications=["music"]),
    )
    conn = await connect(database_url)
    try:
        row, token = await integrations.create(conn, tenant.account_id, spec, "token", {}, {})
    finally:
        await conn.close()
    return f"/webhooks/generic/{row['id']}", token


async def measure(args: argparse.Namespace, started: Servers, services: dict[str, ServiceProcess],
                  results: dict[str, Any]) -> None:  # fmt: skip
    """Fills `results` scenario by scenario, so a failure keeps what was measured before it."""
    pids = {name: s.process.pid for name, s in services.items() if s.process}
    pids |= {name: p.pid for name, p in started.processes.items()}
    pool = await asyncpg.create_pool(started.database_url, min_size=1, max_size=4)
    work_dir = args.out / "raw"
    work_dir.mkdir(parents=True, exist_ok=True)
    profiling = await statements.enable(pool)
    try:
        chosen = set(args.scenarios.split(","))
        if args.warmup_seconds > 0 and chosen & {"api", "webhook", "batch", "backlog"}:
            step(f"warm-up: {args.warmup_rate:.0f} requests/s for {args.warmup_seconds:.0f}s, "
                 "not measured")  # fmt: skip
            await api_scenario(services["gateway"].url, await make_tenant(started.database_url),
                               args.warmup_rate, args.warmup_seconds, pool, pids,
                               work_dir)  # fmt: skip
            # The tables were empty when the services' statements were first planned, and a
            # run ends before autovacuum's first look (a minute at least); a deployment's
            # tables have statistics, so the run measures plans made with them.
            await pool.execute("ANALYZE")
        for rate in [float(r) for r in args.rates.split(",") if "api" in chosen]:
            step(f"single-event API at {rate:.0f} requests/s for {args.seconds:.0f}s")
            tenant = await make_tenant(started.database_url)
            results["scenarios"].append(await profiled(pool, profiling, api_scenario(
                services["gateway"].url, tenant, rate, args.seconds, pool, pids,
                work_dir, connections=args.api_connections)))  # fmt: skip
        for rate in [float(r) for r in args.webhook_rates.split(",") if r and "webhook" in chosen]:
            step(f"webhook deliveries at {rate:.0f} requests/s for {args.seconds:.0f}s")
            tenant = await make_tenant(started.database_url)
            webhook = await connect_generic_sender(started.database_url, tenant)
            results["scenarios"].append(await profiled(pool, profiling, api_scenario(
                services["gateway"].url, tenant, rate, args.seconds, pool, pids, work_dir,
                webhook=webhook, connections=args.api_connections)))  # fmt: skip
        if "overload" in chosen:
            capacity = args.overload_capacity or measured_capacity(results["scenarios"])
            step(f"overload: {2 * capacity:.0f} requests/s for {args.overload_seconds:.0f}s "
                 f"(twice {capacity:.0f}), between calm phases at half of it")  # fmt: skip
            results["scenarios"].append(await profiled(pool, profiling, overload_scenario(
                services["gateway"].url, await make_tenant(started.database_url), capacity,
                args.overload_seconds, pool, pids, work_dir)))  # fmt: skip
        for count in counts(args.batch_gateways) if "batch" in chosen else []:
            step(f"batch endpoint: {args.batches} batches of 500 events, {count} gateway(s)")
            tenant = await make_tenant(started.database_url)
            with replicas(services["gateway"], count, pids) as gateways:
                urls = [gateway.url for gateway in gateways]
                results["scenarios"].append(await profiled(pool, profiling, batch_scenario(
                    urls, tenant, args.batches, 500, pool, pids)))  # fmt: skip
        for count in counts(args.backlog_publishers) if "backlog" in chosen else []:
            step(f"{count} publisher(s) draining a backlog of {args.backlog} commands")
            services["publisher"].stop()
            tenant = await make_tenant(started.database_url)
            with replicas(services["publisher"], count, pids, started=False) as publishers:
                results["scenarios"].append(await profiled(pool, profiling, backlog_scenario(
                    started.kafka_bootstrap, tenant, args.backlog, pool,
                    lambda: start_all(publishers, pids), pids)))  # fmt: skip
        if "discovery" in chosen:
            results["discovery"] = await discovery_scenarios(
                args, started, services, pids, work_dir
            )
        if args.soak_seconds > 0:
            results["soak"] = await soak(args, started, services, pool, pids, work_dir)
        if "baselines" not in chosen:
            return
        step("baselines: kafka-producer-perf-test (acks=all) and raw PostgreSQL inserts")
        results["baselines"] = {
            "kafka_producer": await kafka_producer_baseline(
                started.kafka_bootstrap, BENCH.cache_dir, args.baseline_records, 700, 12),
            "postgres_insert": await postgres_insert_baseline(
                started.database_url, args.baseline_records // 2, 500),
        }  # fmt: skip
    finally:
        await pool.close()


async def profiled(
    pool: asyncpg.Pool, profiling: bool, scenario: Coroutine[Any, Any, dict[str, Any]]
) -> dict[str, Any]:
    """The scenario's result with PostgreSQL's busiest statements during it, when readable."""
    if profiling:
        await statements.reset(pool)
    result = await scenario
    if profiling:
        result["postgres_statements"] = await statements.top(pool, result.get("stored", 0))
    return result


async def discovery_scenarios(
    args: argparse.Namespace,
    started: Servers,
    services: dict[str, ServiceProcess],
    pids: dict[str, int],
    work_dir: Path,
) -> dict[str, Any]:
    step(f"discovery: {args.discovery_events} events across {args.discovery_cities} cities")
    data = await discovery.fill(started.database_url, args.discovery_events,
                                args.discovery_cities)  # fmt: skip
    url = services["discovery"].url
    feed = f"/feeds/channels/{data['feed_slug']}.ics"
    results: dict[str, Any] = {**data, "runs": []}
    results.pop("places")
    step("discovery: from a 201 to the event's public page, 100 events one at a time")
    tenant = await make_tenant(started.database_url)
    await publish_channel(started.database_url, tenant.channel_id)
    results["visibility"] = await discovery.visibility_delay(
        services["gateway"].url, url, tenant.key, tenant.channel_id
    )
    # After the channel above went public (which moves every feed's version): a cold build.
    results["cold_feed_build_ms"] = await discovery.cold_feed_build(url, data["feed_slug"])
    searches = discovery.search_paths(data["places"])
    rates = [float(r) for r in args.discovery_rates.split(",") if r]
    # Enough for every request of the fastest run to be a search of its own (nearly all misses).
    distinct = discovery.distinct_search_paths(
        data["places"], int(max(rates, default=0) * args.seconds) + 1
    )
    mixes = (("search", searches), ("search, distinct", distinct),
             ("1,000-event feed (.ics)", [feed]))  # fmt: skip
    for count in counts(args.discovery_replicas):
        with replicas(services["discovery"], count, pids) as processes:
            urls = [process.url for process in processes]
            await discovery.cold_feed_build(urls[-1], data["feed_slug"])  # warm each replica
            for rate in rates:
                for name, paths in mixes:
                    step(f"discovery {name}, {count} replica(s), {rate:.0f}/s, {args.seconds:.0f}s")
                    results["runs"].append(await discovery.read_scenario(
                        name, urls, paths, rate, args.seconds, pids, work_dir))  # fmt: skip
    # What a search costs when it is not answered from the cache: the same searches against
    # one process whose cache is off (searches on a changing read model miss more often).
    with uncached(services["discovery"], pids) as process:
        for rate in rates:
            step(f"discovery search, cache off, 1 replica, {rate:.0f}/s, {args.seconds:.0f}s")
            results["runs"].append(await discovery.read_scenario(
                "search, cache off", [process.url], searches, rate, args.seconds, pids,
                work_dir))  # fmt: skip
    return results


@contextlib.contextmanager
def uncached(first: ServiceProcess, pids: dict[str, int]) -> Iterator[ServiceProcess]:
    """A discovery process beside `first` (on a port no replica takes) with no search cache."""
    port = first.port + REPLICA_PORT_OFFSET * 4
    process = ServiceProcess(
        first.name, port, {**first.env, "DISCOVERY_SEARCH_CACHE_MIB": "0"},
        first.log_file.parent / f"uncached-{port}",
    )  # fmt: skip
    try:
        start_all([process], pids)
        yield process
    finally:
        process.stop()
        pids.pop(process_label(process), None)


async def publish_channel(database_url: str, channel_id: int) -> None:
    conn = await connect(database_url)
    try:
        await conn.execute("UPDATE channels SET visibility = 'public' WHERE id = $1", channel_id)
    finally:
        await conn.close()


def measured_capacity(scenarios: list[dict[str, Any]], fallback: float = 500) -> float:
    """The highest offered single-event rate this run accepted in full (no errors)."""
    sustained = [
        s["offered_rate"] for s in scenarios
        if s["scenario"].startswith("single") and s["errors"] == 0 and s["lost"] == 0
    ]  # fmt: skip
    return max(sustained, default=fallback)


def counts(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n]


REPLICA_PORT_OFFSET = 10  # replica i of a service listens on its port + 10 * i


@contextlib.contextmanager
def replicas(
    first: ServiceProcess, count: int, pids: dict[str, int], started: bool = True
) -> Iterator[list[ServiceProcess]]:
    """`first` and count - 1 more processes of the same service, stopped again afterwards;
    each extra one's CPU and memory are reported as `<service>-<port>`."""
    extra = [
        ServiceProcess(first.name, port, first.env, first.log_file.parent / f"replica-{port}")
        for port in (first.port + REPLICA_PORT_OFFSET * i for i in range(1, count))
    ]
    try:
        if started:
            start_all(extra, pids)
        yield [first, *extra]
    finally:
        for replica in extra:
            replica.stop()
            pids.pop(process_label(replica), None)


def start_all(processes: list[ServiceProcess], pids: dict[str, int]) -> None:
    for process in processes:
        process.start()
        assert process.process is not None
        pids[process_label(process)] = process.process.pid


def process_label(process: ServiceProcess) -> str:
    replica = process.port != BENCH.service_ports[process.name]
    return f"{process.name}-{process.port}" if replica else process.name


async def soak(
    args: argparse.Namespace,
    started: Servers,
    services: dict[str, ServiceProcess],
    pool: asyncpg.Pool,
    pids: dict[str, int],
    work_dir: Path,
) -> dict[str, Any]:
    step(f"soak: {args.soak_rate:.0f} requests/s for {args.soak_seconds:.0f}s")
    warm = snapshot(pids)
    tenant = await make_tenant(started.database_url)
    run = await api_scenario(services["gateway"].url, tenant, args.soak_rate, args.soak_seconds,
                             pool, pids, work_dir)  # fmt: skip
    end = snapshot(pids)
    # Every service of ours: the consumers behind the publisher hold caches and buffers too.
    growth = {name: round(100 * (end[name].rss_bytes / max(warm[name].rss_bytes, 1) - 1), 1)
              for name in SERVICES if name in warm and name in end}  # fmt: skip
    return {"run": run, "rss_growth_percent": growth}


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())  # fmt: skip
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0], "java": java.splitlines()[0] if java else None,
        "kafka": kafka_version(), "platform": platform.platform(),
        "burst_cost": burst_cost()}  # fmt: skip


def main() -> int:
    args = parse_args()
    # SIGTERM (a timeout, kill) unwinds like Ctrl-C, so the stack below is stopped, not left
    # holding its ports.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with servers(BENCH) as started:
        tenant_env = service_env(started, SERVICE_ENV)
        services = {
            name: ServiceProcess(name, BENCH.service_ports[name], tenant_env,
                                 BENCH.base_dir / "logs")
            for name in SERVICES
        }  # fmt: skip
        results: dict[str, Any] = {"scenarios": []}
        try:
            for service in services.values():
                service.start()
            asyncio.run(measure(args, started, services, results))
        except Exception as exc:  # the scenarios measured so far are still written
            traceback.print_exc()
            results["failed"] = repr(exc)
        finally:
            for service in services.values():
                service.stop()
    report = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {**vars(args), "out": str(args.out), "service_env": SERVICE_ENV,
                     "kafka_and_postgres": "same box, local processes"},
        **results,
        "cpu_per_event": cpu_per_event(results.get("scenarios", [])),
        "load_average": os.getloadavg(),
    }  # fmt: skip
    report["targets"] = target_rows(report)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    text = json.dumps(report, indent=2, default=str)
    path.write_text(text)
    (args.out / "latest.json").write_text(text)
    print_report(report)
    print(f"\nwritten to {path}")
    if "failed" in results:
        print(f"the run stopped early: {results['failed']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
