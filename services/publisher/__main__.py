"""`python -m services.publisher`: apply ingest commands to PostgreSQL."""

from __future__ import annotations

from services.publisher.settings import PublisherSettings
from services.publisher.worker import open_publisher
from shared.core.logging import configure_logging
from shared.core.metrics import PUBLISHER_METRICS
from shared.core.settings import from_environment
from shared.runtime.worker_runtime import run_worker


def main() -> None:
    settings = from_environment(PublisherSettings)
    configure_logging("publisher", settings.log, flush_each_line=False)  # flushed per batch
    run_worker(
        lambda checks: open_publisher(settings, checks),
        settings.host,
        settings.port,
        PUBLISHER_METRICS,
    )


if __name__ == "__main__":
    main()
