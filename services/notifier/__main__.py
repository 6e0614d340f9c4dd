"""`python -m services.notifier`: reminders and event changes -> people's inboxes."""

from __future__ import annotations

from services.notifier.settings import NotifierSettings
from services.notifier.worker import open_notifier
from shared.core.logging import configure_logging
from shared.core.metrics import NOTIFIER_METRICS
from shared.core.settings import from_environment
from shared.runtime.worker_runtime import run_worker


def main() -> None:
    settings = from_environment(NotifierSettings)
    configure_logging("notifier", settings.log)
    run_worker(
        lambda checks: open_notifier(settings, checks),
        settings.host,
        settings.port,
        NOTIFIER_METRICS,
    )


if __name__ == "__main__":
    main()
