"""`python -m services.scheduler`: due reminders -> the notifications topic."""

from __future__ import annotations

from services.scheduler.settings import SchedulerSettings
from services.scheduler.worker import open_scheduler
from shared.core.logging import configure_logging
from shared.core.metrics import SCHEDULER_METRICS
from shared.core.settings import from_environment
from shared.runtime.worker_runtime import run_worker


def main() -> None:
    settings = from_environment(SchedulerSettings)
    configure_logging("scheduler", settings.log)
    run_worker(
        lambda checks: open_scheduler(settings, checks),
        settings.host,
        settings.port,
        SCHEDULER_METRICS,
    )


if __name__ == "__main__":
    main()
