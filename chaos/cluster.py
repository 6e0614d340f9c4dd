"""A three-broker Kafka cluster from the same jars (replication factor 3,
`min.insync.replicas` 2), with its own gateway, publisher and auditor on the chaos database:
the scenario kills the leader of an ingest partition under load."""

from __future__ import annotations

import asyncio
import subprocess

from aiokafka import AIOKafkaConsumer, TopicPartition

from chaos.stack import SERVICE_ENV, ChaosStack
from devstack.kafka import KafkaNode, new_cluster_id
from devstack.processes import stop
from devstack.stack import (
    CHAOS,
    Servers,
    ServiceProcess,
    service_env,
    shifted,
    step,
)
from shared.adapters.kafka import ensure_topics
from shared.contracts.topics import ConsumerGroup
from shared.core.settings import KafkaSettings

# Unshifted, as in devstack's profiles; PINNED_PORT_OFFSET applies when a cluster starts.
NODE_PORTS = ((24392, 24393), (24394, 24395), (24396, 24397))
SERVICE_PORTS = {"gateway": 24380, "publisher": 24381, "auditor": 24382}
# The consumer groups of those services, the only ones whose lag can drain here: nothing on the
# cluster reads the change stream the publisher's relay writes to it.
CLUSTER_GROUPS = (ConsumerGroup.PUBLISHER, ConsumerGroup.AUDITOR)
CLUSTER_ENV = {"KAFKA_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "2"}


class Cluster:
    def __init__(self, stack: ChaosStack) -> None:
        self.stack = stack
        cluster_id = new_cluster_id()
        ports = [(shifted(port), shifted(controller)) for port, controller in NODE_PORTS]
        voters = ",".join(f"{n + 1}@127.0.0.1:{c}" for n, (_, c) in enumerate(ports))
        self.nodes = [
            KafkaNode(
                CHAOS.base_dir / f"cluster-{n + 1}",
                port,
                controller,
                heap="384m",
                node_id=n + 1,
                voters=voters,
                cluster_id=cluster_id,
                internal_replicas=3,
            )
            for n, (port, controller) in enumerate(ports)
        ]
        self.brokers: dict[int, subprocess.Popen[bytes]] = {}
        self.services: dict[str, ServiceProcess] = {}

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def settings(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.bootstrap, replication_factor=3, min_insync_replicas=2
        )

    async def start(self) -> None:
        step("starting a three-broker Kafka cluster")
        # Together: a node alone has no controller quorum and would never open its port.
        await asyncio.gather(*(asyncio.to_thread(self.start_node, n) for n in (1, 2, 3)))
        await ensure_topics(self.settings)
        env = service_env(
            Servers(self.bootstrap, self.stack.postgres.url), {**SERVICE_ENV, **CLUSTER_ENV}
        )
        for name in SERVICE_PORTS:  # the write path; discovery reads the same PostgreSQL
            self.services[name] = ServiceProcess(
                name, shifted(SERVICE_PORTS[name]), env, self.stack.log_dir / "cluster"
            )
            await asyncio.to_thread(self.services[name].start)

    def start_node(self, node_id: int) -> None:
        self.brokers[node_id] = self.nodes[node_id - 1].start(self.stack.libs)

    def kill_node(self, node_id: int) -> None:
        self.brokers[node_id].kill()
        self.brokers[node_id].wait()

    async def leader_of(self, topic: str, partition: int) -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()  # as shared/lag.py reads metadata
            leader = consumer._client.cluster.leader_for_partition(TopicPartition(topic, partition))
            return int(leader)
        finally:
            await consumer.stop()

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        for broker in self.brokers.values():
            stop(broker, grace_seconds=30)
