"""docker-compose.yml cannot be run here (no Docker engine), so its contract with the code is
checked structurally instead: one image built once, commands that name real modules, only
variables our settings read, a healthcheck on every long-running service, data on volumes,
and one Kafka version across the compose image and the two Maven poms."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml

from devstack.kafka import POM, TOOLS_POM, kafka_version
from services.auditor.settings import AuditorSettings
from services.discovery.projector.settings import ProjectorSettings
from services.discovery.settings import DiscoverySettings
from services.gateway.settings import GatewaySettings
from services.notifier.settings import NotifierSettings
from services.publisher.settings import PublisherSettings
from services.scheduler.settings import SchedulerSettings
from shared.runtime.ops_http import ops_routes
from tests.config_variables import settings_variables

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
BUILT = [name for name, s in SERVICES.items() if "build" in s]
OUR_IMAGE = SERVICES[BUILT[0]].get("image") if BUILT else None
OUR_SERVICES = {name: s for name, s in SERVICES.items() if s.get("image") == OUR_IMAGE}
SETTINGS = {
    "gateway": GatewaySettings,
    "publisher": PublisherSettings,
    "auditor": AuditorSettings,
    "projector": ProjectorSettings,
    "discovery": DiscoverySettings,
    "scheduler": SchedulerSettings,
    "notifier": NotifierSettings,
}


def _default_port(service: str) -> int:
    port = SETTINGS[service].model_fields["port"].default
    assert isinstance(port, int)
    return port


def test_our_image_is_built_once_and_reused() -> None:
    assert len(BUILT) == 1, f"one service builds the image, the others reuse it: {BUILT}"
    assert OUR_IMAGE, "the building service names the image the others run"
    assert {"gateway", "publisher", "auditor", "setup"} <= set(OUR_SERVICES)
    runs_python = {name for name, s in SERVICES.items() if s.get("command", [])[:1] == ["python"]}
    assert runs_python <= set(OUR_SERVICES)


def test_our_services_run_modules_that_exist() -> None:
    for service in OUR_SERVICES.values():
        command = service["command"]
        assert command[:2] == ["python", "-m"]
        assert importlib.util.find_spec(command[2]) is not None, command


def test_our_services_get_only_variables_the_code_reads() -> None:
    known = settings_variables()
    for name, service in OUR_SERVICES.items():
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name}: {unknown}"


def test_services_listen_on_all_interfaces_inside_containers() -> None:
    for name in SETTINGS:
        assert OUR_SERVICES[name]["environment"][f"{name.upper()}_HOST"] == "0.0.0.0"


def test_every_long_running_service_has_a_healthcheck() -> None:
    jobs = {name for name, s in SERVICES.items() if s.get("restart") == "no"}
    assert jobs == {"setup"}, "a one-shot job is checked by its exit status instead"
    for name, service in SERVICES.items():
        if name not in jobs:
            test = service.get("healthcheck", {}).get("test", [None])
            assert test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
            assert len(test) > 1, name


def test_our_healthchecks_ask_the_service_on_its_own_port() -> None:
    ops_paths = {route.path for route in ops_routes({}, ())}
    for name in SETTINGS:
        command = " ".join(OUR_SERVICES[name]["healthcheck"]["test"])
        match = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", command)
        assert match, f"{name}: {command}"
        assert int(match.group(1)) == _default_port(name), name
        assert match.group(2) in ops_paths, name


def test_kafka_keeps_its_log_dirs_on_the_volume() -> None:
    kafka = SERVICES["kafka"]
    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = {source: target for source, target, *_ in (v.split(":") for v in kafka["volumes"])}
    assert mounts.get("kafka-data") == log_dirs, (mounts, log_dirs)
    assert "kafka-data" in COMPOSE["volumes"]


def test_every_named_volume_is_mounted() -> None:
    mounted = {
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
    }
    assert set(COMPOSE["volumes"]) <= mounted


def test_one_kafka_version_everywhere() -> None:
    broker, tools = kafka_version(POM), kafka_version(TOOLS_POM)
    image, tag = SERVICES["kafka"]["image"].split(":")
    assert image == "apache/kafka"
    assert broker == tools == tag, {
        "deploy/kafka": broker,
        "deploy/kafka-tools": tools,
        "compose": tag,
    }


def test_prometheus_scrapes_the_ports_services_listen_on() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]
    }
    for name in SETTINGS:
        assert targets[name] == f"{name}:{_default_port(name)}"


def test_dockerfile_copies_every_package_the_image_runs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("shared", "services", "devstack", "deploy"):
        assert f"COPY {package} ./{package}" in dockerfile
