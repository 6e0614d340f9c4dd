"""`python -m services.gateway`: serve the public API."""

from __future__ import annotations

from typing import Any

from services.gateway.app import create_app
from services.gateway.edge.early_refusal import refusing_protocol
from services.gateway.settings import GatewaySettings
from shared.core.logging import configure_logging
from shared.core.settings import from_environment
from shared.runtime.http_server import serve


def main() -> None:
    settings = from_environment(GatewaySettings)
    configure_logging("gateway", settings.log)
    app = create_app(settings)
    protocol: dict[str, Any] = {}
    if app.state.gate is not None:
        protocol["http"] = refusing_protocol(app.state.gate)
    serve(
        app,
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
        **protocol,
    )


if __name__ == "__main__":
    main()
