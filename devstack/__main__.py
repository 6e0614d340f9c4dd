"""`python -m devstack run`: the whole stack in the foreground; Ctrl-C stops all of it."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from types import FrameType

from devstack.processes import StackError
from devstack.seed import DemoData, seed_demo
from devstack.stack import (
    RUN,
    SERVICES,
    ServiceProcess,
    prepare_servers,
    servers,
    service_env,
    step,
)
from shared.core.settings import DatabaseSettings, KafkaSettings, PortalSettings


def run() -> int:
    profile = RUN
    stopping = False

    def request_stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    failed = False
    signal.signal(signal.SIGTERM, request_stop)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # Started in the background by a script, whose shell ignores SIGINT for it: an
        # interrupt (kill -INT) should still stop the stack as Ctrl-C does in a terminal.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    with servers(profile) as started:
        demo = asyncio.run(seed_demo(started.database_url))
        log_dir = profile.base_dir / "logs"
        # The developer API links channels to this stack's discovery, wherever the offset put it.
        discovery = {
            "GATEWAY_DISCOVERY_URL": f"http://127.0.0.1:{profile.service_ports['discovery']}"
        }
        services = [
            ServiceProcess(
                name, profile.service_ports[name], service_env(started, discovery), log_dir
            )
            for name in SERVICES
        ]
        try:
            for service in services:
                step(f"starting {service.name} on {service.url}")
                service.start()
            urls = {service.name: service.url for service in services}
            cli = _cli_command(started.database_url, started.kafka_bootstrap, urls["gateway"])
            _print_banner(urls["gateway"], urls["discovery"], demo, log_dir, cli)
            _warn_of_blocked_ports(
                profile.service_ports["gateway"], profile.service_ports["discovery"]
            )
            # The stack runs as one: a service, Kafka or PostgreSQL that exits takes it down,
            # and `make run` then exits 1, saying which and where its log is.
            watched = {
                **{s.name: s.process for s in services if s.process},
                **started.processes,
            }
            while not stopping and all(p.poll() is None for p in watched.values()):
                time.sleep(0.5)
            for name, process in watched.items():
                if process.poll() is not None:
                    failed = True
                    print(f"{name} exited ({process.returncode}); see {log_dir}", file=sys.stderr)
        except KeyboardInterrupt:
            pass
        finally:
            step("stopping services, then Kafka and PostgreSQL")
            for service in reversed(services):
                service.stop()
    step("stopped")
    return 1 if failed else 0


# Ports Chromium refuses to open (net/base/port_util.cc, kRestrictedPorts; Firefox blocks
# the same ones), those a port offset can reach.
BROWSER_BLOCKED_PORTS = frozenset(
    (1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668,
     6669, 6679, 6697, 10080)
)  # fmt: skip


def _warn_of_blocked_ports(*page_ports: int) -> None:
    for port in sorted(set(page_ports) & BROWSER_BLOCKED_PORTS):
        print(
            f"note: port {port} is one browsers refuse to open (ERR_UNSAFE_PORT): for the "
            "pages in a browser, start again with another PINNED_PORT_OFFSET (e.g. 1000)",
            file=sys.stderr,
        )


def _print_banner(gateway: str, discovery: str, demo: DemoData, log_dir: object, cli: str) -> None:
    key, channel_id = demo.api_key, demo.channel_id
    print(
        f"""
Pinned Events is running.
  gateway   {gateway}   (health: {gateway}/readyz, metrics: {gateway}/metrics)
            public API, its routes listed: {gateway}/api/public/v1
  discovery {discovery}   public pages, feeds and search (no key)
            the demo channel: {discovery}/channels/{demo.channel_slug}
  people    {discovery}/signup   sign up to follow, save, RSVP, get reminders (inbox:
            {discovery}/me/inbox; API, its routes listed: {discovery}/api/people/v1)
  demo key  {key}
            scopes channels:read events:create events:read; new each start, the last one's revoked
  owner key {demo.owner_key}
            for the developer API, its routes listed: {gateway}/api/developer/v1
  portal    {gateway}/developers   keys, integrations, deliveries, audit (docs/portal.md)
            {_portal_access(gateway, demo)}
  logs      {log_dir}/*.log
  operator  {cli} --help   accounts, keys, integrations, dead letters

List your channels:
  curl -s {gateway}/api/public/v1/channels -H "Authorization: Bearer {key}"

Publish a first event (the docs' example):
  curl -s -i {gateway}/api/public/v1/events \\
    -H "Authorization: Bearer {key}" \\
    -H "Content-Type: application/json" \\
    -H "Idempotency-Key: event-api-launch-2026-06-12" \\
    -d '{{"channelId": {channel_id}, "title": "API Launch Workshop",
         "startAt": "2026-06-12T18:00:00-04:00", "timezone": "America/New_York",
         "classifications": ["music"],
         "approxLocation": {{"city": {{"placeId": "place-new-york", "name": "New York",
                                     "countryCode": "US"}}}}}}'

Read it back with the id from the answer:
  curl -s {gateway}/api/public/v1/events/<id> -H "Authorization: Bearer {key}"

See it published (within 2 s, usually a tenth of a second; the docs' example date may be past, so
send a future startAt to see it listed as upcoming):
  {discovery}/events/<id>        its page, with an "add to calendar" link
  {discovery}/channels/{demo.channel_slug}   the channel, with its iCalendar, JSON and Atom feeds
  {discovery}/cities/place-new-york
and sign up to RSVP to it: its reminders reach your inbox a day and an hour before.

Press Ctrl-C to stop everything.
""",
        flush=True,
    )


def _cli_command(database_url: str, kafka: str = "", gateway: str = "") -> str:
    """The operator command line reads DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS and
    PORTAL_PUBLIC_URL, whose defaults are this stack's without a port offset: name them
    whenever it differs."""
    if database_url == DatabaseSettings().url:
        return ".venv/bin/pinned"
    settings = f"DATABASE_URL={database_url}"
    if kafka:
        settings += f" KAFKA_BOOTSTRAP_SERVERS={kafka}"
    if gateway:
        settings += f" PORTAL_PUBLIC_URL={gateway}"
    return f"{settings} .venv/bin/pinned"


def _portal_access(gateway: str, demo: DemoData) -> str:
    if demo.invitation_path is None:
        return f"sign in as {demo.owner_email} with the password you chose"
    return (
        f"the demo account's owner ({demo.owner_email}) sets a password here (one use):\n"
        f"            {gateway}{demo.invitation_path}"
    )


def prepare(seed: bool) -> int:
    """Migrate and create topics on the servers the environment names (Docker, clusters)."""
    database = DatabaseSettings()
    step("applying migrations and creating topics")
    asyncio.run(prepare_servers(database.url, KafkaSettings()))
    if seed:
        demo = asyncio.run(seed_demo(database.url))
        print(f"demo channel {demo.channel_id}, demo key (shown once): {demo.api_key}")
        print(f"owner key for the developer API (shown once): {demo.owner_key}")
        if demo.invitation_path is not None:
            base = PortalSettings().public_url or "<gateway>"
            print(f"the demo owner's portal invitation (one use): {base}{demo.invitation_path}")
    step("ready")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the whole stack in the foreground; Ctrl-C stops it")
    prepare_cmd = commands.add_parser(
        "prepare", help="migrate and create topics on DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS"
    )
    prepare_cmd.add_argument("--seed-demo", action="store_true", help="also seed the demo data")
    args = parser.parse_args()
    try:
        return run() if args.command == "run" else prepare(args.seed_demo)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
