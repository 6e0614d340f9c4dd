"""docker-compose.yml cannot be run here (no Docker engine), so its contract with the code is
checked instead: commands name real modules, our services get only variables our settings
read, and Prometheus scrapes the ports the services listen on."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings

from services.auditor.settings import AuditorSettings
from services.gateway.settings import GatewaySettings
from services.publisher.settings import PublisherSettings
from shared.core.settings import DatabaseSettings, KafkaSettings, LogSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
OUR_SERVICES = {name: s for name, s in COMPOSE["services"].items() if "build" in s}


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings.model_fields.items():
        if isinstance(field.default_factory, type) and issubclass(
            field.default_factory, BaseSettings
        ):
            continue
        alias = field.validation_alias
        choices: list[Any] = list(getattr(alias, "choices", [])) if alias else []
        names |= {c for c in choices if isinstance(c, str) and c.isupper()} or {
            f"{prefix}{name}".upper()
        }
    return names


KNOWN_ENV = set().union(
    *(
        env_names(s)
        for s in (
            GatewaySettings,
            PublisherSettings,
            AuditorSettings,
            KafkaSettings,
            DatabaseSettings,
            LogSettings,
        )
    )
)


def test_our_services_run_modules_that_exist() -> None:
    assert {"gateway", "publisher", "auditor", "setup"} <= set(OUR_SERVICES)
    for service in OUR_SERVICES.values():
        command = service["command"]
        assert command[:2] == ["python", "-m"]
        assert importlib.util.find_spec(command[2]) is not None, command


def test_our_services_get_only_variables_the_code_reads() -> None:
    for name, service in OUR_SERVICES.items():
        unknown = set(service["environment"]) - KNOWN_ENV
        assert not unknown, f"{name}: {unknown}"


def test_services_listen_on_all_interfaces_inside_containers() -> None:
    for name in ("gateway", "publisher", "auditor"):
        assert OUR_SERVICES[name]["environment"][f"{name.upper()}_HOST"] == "0.0.0.0"


def test_prometheus_scrapes_the_ports_services_listen_on() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]
    }
    defaults = {
        "gateway": GatewaySettings,
        "publisher": PublisherSettings,
        "auditor": AuditorSettings,
    }
    for name, settings in defaults.items():
        assert targets[name] == f"{name}:{settings.model_fields['port'].default}"


def test_dockerfile_copies_every_package_the_image_runs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("shared", "services", "devstack", "deploy"):
        assert f"COPY {package} ./{package}" in dockerfile
