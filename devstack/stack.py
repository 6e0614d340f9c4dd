"""Brings up the servers (or uses the environment's), migrates, creates topics, runs services."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devstack.kafka import KafkaNode, ensure_jars
from devstack.postgres import PostgresServer
from devstack.processes import StackError, port_open, spawn, stop, wait_until
from shared.adapters.kafka import ensure_topics
from shared.adapters.postgres import apply_migrations
from shared.core.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("gateway", "publisher", "auditor", "projector", "discovery", "scheduler", "notifier")
# A service's module when it is not `services.<name>`: the projector is part of discovery.
MODULES = {"projector": "services.discovery.projector"}


def shifted(port: int) -> int:
    """`port` moved by PINNED_PORT_OFFSET (default 0), so several checkouts of the project
    can run their stacks and suites side by side on one machine."""
    return port + int(os.environ.get("PINNED_PORT_OFFSET", "0"))


@dataclass(frozen=True)
class StackProfile:
    """Ports and folders of one local stack; `run` and `test` differ so both can coexist.
    Ports are given unshifted; the properties apply PINNED_PORT_OFFSET."""

    name: str
    base_kafka_port: int
    base_controller_port: int
    base_postgres_port: int
    base_service_ports: dict[str, int]
    fresh_data: bool

    @property
    def kafka_port(self) -> int:
        return shifted(self.base_kafka_port)

    @property
    def controller_port(self) -> int:
        return shifted(self.base_controller_port)

    @property
    def postgres_port(self) -> int:
        return shifted(self.base_postgres_port)

    @property
    def service_ports(self) -> dict[str, int]:
        return {name: shifted(port) for name, port in self.base_service_ports.items()}

    @property
    def base_dir(self) -> Path:
        return Path(os.environ.get("PINNED_STACK_DIR", ROOT / ".stack")) / self.name

    @property
    def cache_dir(self) -> Path:
        return self.base_dir.parent / "cache"


# Every port sits below Linux's ephemeral range (32768-60999): a port inside it can be taken
# as the source port of any outgoing connection, and a restarted server then fails to bind.
RUN = StackProfile(
    "run",
    9092,
    9093,
    15432,
    {
        "gateway": 8080,
        "publisher": 8081,
        "auditor": 8082,
        "projector": 8084,
        "discovery": 8083,
        "scheduler": 8085,
        "notifier": 8086,
    },
    fresh_data=False,
)
TEST = StackProfile(
    "test",
    19092,
    19093,
    15433,
    {
        "gateway": 18080,
        "publisher": 18081,
        "auditor": 18082,
        "projector": 18084,
        "discovery": 18083,
        "scheduler": 18085,
        "notifier": 18086,
    },
    fresh_data=True,
)
BENCH = StackProfile(
    "bench",
    29092,
    29093,
    15434,
    {
        "gateway": 28080,
        "publisher": 28081,
        "auditor": 28082,
        "projector": 28084,
        # 28083 would put its bench replica (+10) on 28093, 1,000 from Kafka's 29093.
        "discovery": 28086,
        "scheduler": 28085,
        "notifier": 28087,
    },
    fresh_data=True,
)

CHAOS = StackProfile(
    "chaos",
    24292,
    24293,
    15435,
    {
        "gateway": 24280,
        "publisher": 24281,
        "auditor": 24282,
        "projector": 24285,
        "discovery": 24284,  # 24283 is the chaos run's second publisher
        "scheduler": 24286,
        "notifier": 24287,
    },
    fresh_data=True,
)


@dataclass
class Servers:
    kafka_bootstrap: str
    database_url: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap, "DATABASE_URL": self.database_url}


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


@contextmanager
def servers(profile: StackProfile) -> Iterator[Servers]:
    """Kafka and PostgreSQL for the profile, started here unless the environment names them;
    migrated and with topics created. Stops only what it started."""
    env_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    env_db = os.environ.get("DATABASE_URL")
    _refuse_if_running(profile, start_postgres=not env_db, start_kafka=not env_kafka)
    if profile.fresh_data and not (env_kafka and env_db):
        shutil.rmtree(profile.base_dir, ignore_errors=True)
    started = Servers(env_kafka or "", env_db or "")
    try:
        if not env_db:
            step(f"starting PostgreSQL on 127.0.0.1:{profile.postgres_port}")
            pg = PostgresServer(profile.base_dir / "postgres", profile.postgres_port)
            started.processes["postgres"] = pg.start()
            started.database_url = pg.url
        if not env_kafka:
            libs = ensure_jars(profile.cache_dir)
            step(f"starting Kafka (KRaft) on 127.0.0.1:{profile.kafka_port}")
            node = KafkaNode(
                profile.base_dir / "kafka", profile.kafka_port, profile.controller_port
            )
            started.processes["kafka"] = node.start(libs)
            started.kafka_bootstrap = node.bootstrap
        step("applying migrations and creating topics")
        asyncio.run(
            prepare_servers(
                started.database_url, KafkaSettings(bootstrap_servers=started.kafka_bootstrap)
            )
        )
        yield started
    finally:
        for name, process in reversed(started.processes.items()):
            # PostgreSQL's SIGTERM is its "smart" shutdown, which waits for every client to
            # disconnect; SIGINT ("fast") disconnects them and still stops cleanly.
            first = signal.SIGINT if name == "postgres" else signal.SIGTERM
            stop(process, grace_seconds=30, first_signal=first)


def _refuse_if_running(profile: StackProfile, start_postgres: bool, start_kafka: bool) -> None:
    """StackError, before anything is wiped, when a server of this profile already listens:
    most likely the same profile's stack from another run (a second `make bench` or `make
    test` beside the first), whose data folder a fresh start would delete under it. Every
    server's port counts when the folder is to be wiped (it holds both servers' data), else
    those of the servers this run starts."""
    wiping = profile.fresh_data and (start_postgres or start_kafka)
    ports = ([profile.postgres_port] if start_postgres or wiping else []) + (
        [profile.kafka_port, profile.controller_port] if start_kafka or wiping else []
    )
    taken = [port for port in ports if port_open("127.0.0.1", port)]
    if taken:
        raise StackError(
            f"port(s) {', '.join(map(str, taken))} of the '{profile.name}' stack are taken, "
            f"probably by another run of it; its data in {profile.base_dir} is left as it is. "
            "Stop that run first, or give this one other ports with PINNED_PORT_OFFSET=1000"
        )


async def prepare_servers(database_url: str, kafka: KafkaSettings) -> None:
    """Apply migrations and create topics, waiting up to a minute for servers to answer."""
    await _retry("apply migrations", lambda: apply_migrations(database_url))
    # The port opens a moment before the broker answers admin requests.
    await _retry("create topics", lambda: ensure_topics(kafka))


async def _retry(what: str, action: Callable[[], Awaitable[object]]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            await action()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise StackError(f"could not {what}: {exc!r}") from exc
            await asyncio.sleep(1)


class ServiceProcess:
    """One of our services as a child process, with the health endpoint to wait on."""

    def __init__(self, name: str, port: int, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = port
        self.env = {**env, f"{name.upper()}_PORT": str(port)}
        self.log_file = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        argv = [sys.executable, "-m", MODULES.get(self.name, f"services.{self.name}")]
        self.process = spawn(self.name, argv, self.log_file, self.env, cwd=ROOT)
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Once /readyz answers 200; StackError if the process exits or 60 s pass first."""
        wait_until(f"{self.name} /readyz", self.ready, 60, self.process, self.log_file)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def service_env(started: Servers, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**started.env(), "PYTHONUNBUFFERED": "1", **(extra or {})}
