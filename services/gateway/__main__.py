"""`python -m services.gateway`: serve the public API."""

from __future__ import annotations

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.core.logging import configure_logging
from shared.runtime.http_server import serve


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log)
    serve(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        listen_sockets=settings.listen_sockets,
        log_config=None,
        timeout_graceful_shutdown=20,
        timeout_keep_alive=settings.keep_alive_seconds,
        loop=settings.event_loop,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


if __name__ == "__main__":
    main()
