"""A single-node Apache Kafka broker in KRaft mode, from Maven Central jars."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import StackError, port_open, spawn, wait_until

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
POM = DEPLOY / "kafka" / "pom.xml"
TOOLS_POM = DEPLOY / "kafka-tools" / "pom.xml"


def kafka_version(pom: Path = POM) -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom.read_text())
    if match is None:
        raise StackError(f"no <kafka.version> in {pom}")
    return match.group(1)


def ensure_jars(cache_dir: Path, pom: Path = POM, name: str = "kafka") -> Path:
    """Resolve the jars a pom lists, once, into the cache folder (the broker by default)."""
    libs = cache_dir / f"{name}-{kafka_version(pom)}"
    if (libs / ".complete").exists():
        return libs
    if shutil.which("mvn") is None:
        raise StackError("Maven (mvn) is needed to fetch the Kafka jars; install it first")
    print(f"  resolving {name} {kafka_version(pom)} jars from Maven Central (first run only)...")
    shutil.rmtree(libs, ignore_errors=True)
    argv = ["mvn", "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}", "-DincludeScope=runtime"]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"mvn could not resolve {name}:\n{result.stdout[-3000:]}")
    (libs / ".complete").touch()
    return libs


@dataclass(frozen=True)
class KafkaNode:
    """One KRaft node (broker and controller). Alone by default; in a cluster, every node
    gets the same `cluster_id`, its own `node_id` and the list of all `voters`."""

    data_dir: Path
    port: int
    controller_port: int
    heap: str = "768m"
    node_id: int = 1
    voters: str | None = None  # "1@host:port,2@host:port,..."; None: this node alone
    cluster_id: str | None = None
    internal_replicas: int = 1

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, libs: Path) -> subprocess.Popen[bytes]:
        if port_open("127.0.0.1", self.port):
            raise StackError(f"port {self.port} is taken; stop whatever listens there first")
        config = self._write_config()
        log_file = self.data_dir / "kafka.log"
        if not (self.data_dir / "logs" / "meta.properties").exists():
            self._java(
                libs,
                "kafka.tools.StorageTool",
                "format",
                # One argument: an id may start with "-", which argparse would read as an option.
                f"--cluster-id={self.cluster_id or new_cluster_id()}",
                "-c",
                str(config),
                run=True,
            )
        process = spawn("kafka", self._java(libs, "kafka.Kafka", str(config)), log_file)
        wait_until("Kafka", lambda: port_open("127.0.0.1", self.port), 90, process, log_file)
        return process

    def _java(self, libs: Path, main: str, *args: str, run: bool = False) -> list[str]:
        argv = [
            "java",
            f"-Xmx{self.heap}",
            "-Xms256m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            main,
            *args,
        ]
        if run:
            result = subprocess.run(argv, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise StackError(f"{main} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return argv

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "log4j2.properties").write_text(_LOG4J)
        config = self.data_dir / "server.properties"
        config.write_text(
            _SERVER_PROPERTIES.format(
                node_id=self.node_id,
                voters=self.voters or f"{self.node_id}@127.0.0.1:{self.controller_port}",
                port=self.port,
                controller=self.controller_port,
                logs=self.data_dir / "logs",
                replicas=self.internal_replicas,
                min_isr=min(2, self.internal_replicas),
            )
        )
        return config


def new_cluster_id() -> str:
    return urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


# Internal topics get `internal_replicas` replicas (1 alone, 3 in a cluster). Topics of our
# own are created by shared.adapters.kafka.ensure_topics with explicit settings, never auto-created.
_SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id={node_id}
controller.quorum.voters={voters}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={logs}
auto.create.topics.enable=false
offsets.topic.replication.factor={replicas}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={min_isr}
share.coordinator.state.topic.replication.factor={replicas}
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
"""

_LOG4J = """\
rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka.server.KafkaServer
logger.kafka.level=INFO
logger.raft.name=kafka.server.KafkaRaftServer
logger.raft.level=INFO
"""

if __name__ == "__main__":  # `python -m devstack.kafka` resolves the jars only
    print(ensure_jars(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".stack/cache")))
