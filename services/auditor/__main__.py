"""`python -m services.auditor`: record audit rows and key usage."""

from __future__ import annotations

from services.auditor.settings import AuditorSettings
from services.auditor.worker import open_auditor
from shared.core.logging import configure_logging
from shared.core.metrics import AUDITOR_METRICS
from shared.core.settings import from_environment
from shared.runtime.worker_runtime import run_worker


def main() -> None:
    settings = from_environment(AuditorSettings)
    configure_logging("auditor", settings.log, flush_each_line=False)  # flushed per batch
    run_worker(
        lambda checks: open_auditor(settings, checks), settings.host, settings.port, AUDITOR_METRICS
    )


if __name__ == "__main__":
    main()
