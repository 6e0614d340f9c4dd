"""`make run` says when a port offset puts a page on a port browsers refuse to open."""

from __future__ import annotations

import pytest

from devstack.__main__ import BROWSER_BLOCKED_PORTS, _warn_of_blocked_ports
from devstack.stack import RUN


def test_an_offset_that_puts_a_page_on_a_blocked_port_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway, discovery = RUN.base_service_ports["gateway"], RUN.base_service_ports["discovery"]
    _warn_of_blocked_ports(gateway + 2000, discovery + 2000)  # 10080: Chrome's ERR_UNSAFE_PORT
    assert "port 10080 is one browsers refuse" in capsys.readouterr().err
    _warn_of_blocked_ports(gateway + 1000, discovery + 1000)
    assert capsys.readouterr().err == ""


def test_the_offsets_the_docs_suggest_keep_every_page_reachable() -> None:
    for offset in (0, 1000, 3000):
        pages = {RUN.base_service_ports[name] + offset for name in ("gateway", "discovery")}
        assert not pages & BROWSER_BLOCKED_PORTS, offset
