"""The services' listening sockets: several on one port, and a clear refusal when the port
is taken."""

from __future__ import annotations

import socket

import pytest

from shared.runtime.http_server import PortTaken, listening_sockets


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_several_sockets_share_the_port_and_each_accepts() -> None:
    port = free_port()
    sockets = listening_sockets("127.0.0.1", port, 4)
    try:
        assert {s.getsockname() for s in sockets} == {("127.0.0.1", port)}
        for sock in sockets:
            sock.listen(64)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(32)]
        # The kernel spreads connections over the group; every one lands in some queue.
        accepted = 0
        for sock in sockets:
            sock.setblocking(False)
            while True:
                try:
                    connection, _ = sock.accept()
                except BlockingIOError:
                    break
                connection.close()
                accepted += 1
        assert accepted == len(clients)
        for client in clients:
            client.close()
    finally:
        for sock in sockets:
            sock.close()


def test_a_port_something_listens_on_is_refused() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        with pytest.raises(PortTaken, match=f"127.0.0.1:{port} is taken"):
            listening_sockets("127.0.0.1", port, 2)


def test_another_group_of_the_same_user_is_refused_too() -> None:
    port = free_port()
    first = listening_sockets("127.0.0.1", port, 2)
    try:
        for sock in first:
            sock.listen(8)
        with pytest.raises(PortTaken):
            listening_sockets("127.0.0.1", port, 2)
    finally:
        for sock in first:
            sock.close()


def test_port_zero_puts_every_socket_on_one_free_port() -> None:
    sockets = listening_sockets("127.0.0.1", 0, 3)
    try:
        ports = {s.getsockname()[1] for s in sockets}
        assert len(ports) == 1
        assert ports != {0}
    finally:
        for sock in sockets:
            sock.close()
