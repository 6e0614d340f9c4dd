"""`python -m services.discovery`: public pages, feeds and the discovery API."""

from __future__ import annotations

from services.discovery.app import create_app
from services.discovery.settings import DiscoverySettings
from shared.core.logging import configure_logging
from shared.core.settings import from_environment
from shared.runtime.http_server import serve


def main() -> None:
    settings = from_environment(DiscoverySettings)
    configure_logging("discovery", settings.log)
    serve(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        listen_sockets=settings.listen_sockets,
        log_config=None,
        timeout_graceful_shutdown=20,
        timeout_keep_alive=settings.keep_alive_seconds,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


if __name__ == "__main__":
    main()
