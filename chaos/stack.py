"""The chaos suite's own stack (profile `chaos`), with handles to break each part of it:
SIGKILL or SIGTERM a service or the broker, stop PostgreSQL in immediate mode, pause a
process with SIGSTOP, add a second publisher to force a rebalance."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from devstack.kafka import KafkaNode, ensure_jars
from devstack.postgres import PostgresServer
from devstack.processes import stop
from devstack.stack import CHAOS, SERVICES, Servers, ServiceProcess, service_env, shifted, step

EXTRA_PUBLISHER_PORT = 24283
# Short enough that a paused or killed consumer's partitions move on within the scenario.
SERVICE_ENV = {
    "KAFKA_SEND_TIMEOUT_SECONDS": "3",
    "GATEWAY_OUTCOME_WAIT_SECONDS": "1",
    "GATEWAY_LAG_INTERVAL_SECONDS": "1",
    "PUBLISHER_BATCH_MAX_RECORDS": "50",
    "PUBLISHER_POISON_RUN_LIMIT": "20",
    "RATE_LIMIT_PER_IP": "1000000000",
    "RATE_LIMIT_PER_KEY": "1000000000",
    "RATE_LIMIT_EVENTS_CREATE_PER_KEY": "1000000000",
    "RATE_LIMIT_WEBHOOK_PER_INTEGRATION": "1000000000",
    "LOG_LEVEL": "INFO",
}


class ChaosStack:
    def __init__(self) -> None:
        shutil.rmtree(CHAOS.base_dir, ignore_errors=True)
        self.libs = ensure_jars(CHAOS.cache_dir)
        self.postgres = PostgresServer(CHAOS.base_dir / "postgres", CHAOS.postgres_port)
        self.kafka = KafkaNode(CHAOS.base_dir / "kafka", CHAOS.kafka_port, CHAOS.controller_port)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.services: dict[str, ServiceProcess] = {}
        self.log_dir = CHAOS.base_dir / "logs"

    @property
    def servers(self) -> Servers:
        return Servers(self.kafka.bootstrap, self.postgres.url)

    def start_servers(self) -> None:
        step(f"starting PostgreSQL on 127.0.0.1:{CHAOS.postgres_port}")
        self.processes["postgres"] = self.postgres.start()
        step(f"starting Kafka (KRaft) on 127.0.0.1:{CHAOS.kafka_port}")
        self.processes["kafka"] = self.kafka.start(self.libs)

    def start_services(self) -> None:
        env = service_env(self.servers, SERVICE_ENV)
        for name in SERVICES:
            self.services[name] = ServiceProcess(name, CHAOS.service_ports[name], env, self.log_dir)
            self.services[name].start()

    def extra_publisher(self) -> ServiceProcess:
        env = service_env(self.servers, SERVICE_ENV)
        return ServiceProcess(
            "publisher", shifted(EXTRA_PUBLISHER_PORT), env, self.log_dir / "extra"
        )

    def kill_service(self, name: str) -> None:
        self.services[name].kill()

    def restart_service(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        """Start the service again; `extra_env` applies to this start only."""
        service = self.services[name]
        base = dict(service.env)
        service.env.update(extra_env or {})
        try:
            service.start(wait=not extra_env)
        finally:
            service.env = base

    def signal_service(self, name: str, signum: signal.Signals) -> None:
        process = self.services[name].process
        assert process is not None
        os.kill(process.pid, signum)

    def kill_kafka(self, clean: bool) -> None:
        broker = self.processes["kafka"]
        if clean:
            stop(broker, grace_seconds=60)
        else:
            broker.kill()
            broker.wait()

    def start_kafka(self) -> None:
        self.processes["kafka"] = self.kafka.start(self.libs)

    def stop_postgres_immediately(self) -> None:
        """PostgreSQL's immediate shutdown (SIGQUIT to the postmaster): no checkpoint, crash
        recovery on the next start, every connection cut at once."""
        pid = int((self.postgres.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGQUIT)
        self.processes["postgres"].wait(60)

    def start_postgres(self) -> None:
        self.processes["postgres"] = self.postgres.start()

    def stop_all(self) -> None:
        for service in self.services.values():
            service.stop()
        for process in reversed(list(self.processes.values())):
            stop(process, grace_seconds=30)

    def service_pid(self, name: str) -> int:
        process = self.services[name].process
        assert process is not None
        return process.pid


def log_dir() -> Path:
    return CHAOS.base_dir / "logs"
