"""`python -m services.discovery.projector`: keep the discovery read model from the change
stream."""

from __future__ import annotations

from services.discovery.projector.settings import ProjectorSettings
from services.discovery.projector.worker import open_projector
from shared.core.logging import configure_logging
from shared.core.metrics import PROJECTOR_METRICS
from shared.core.settings import from_environment
from shared.runtime.worker_runtime import run_worker


def main() -> None:
    settings = from_environment(ProjectorSettings)
    configure_logging("projector", settings.log)
    run_worker(
        lambda checks: open_projector(settings, checks),
        settings.host,
        settings.port,
        PROJECTOR_METRICS,
    )


if __name__ == "__main__":
    main()
