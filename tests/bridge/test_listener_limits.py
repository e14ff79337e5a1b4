"""The ADMS listener lets go of stalled peers (read timeouts) and holds a bounded number of connections."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hadir_bridge.adms import AdmsReceiver, BoundedServer, make_server
from hadir_bridge.config import Config
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PUSH_SERIAL
from tests.bridge.machine_sim import PushMachine

LINE = b'1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0\n'


def _serve(config: Config, spool: Spool, read_timeout: float, max_connections: int) -> Iterator[BoundedServer]:
    receiver = AdmsReceiver(spool, {machine.serial: machine for machine in config.machines})
    server = make_server(receiver, '127.0.0.1', 0, read_timeout=read_timeout, max_connections=max_connections)
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def quick_server(config: Config, spool: Spool) -> Iterator[BoundedServer]:
    yield from _serve(config, spool, read_timeout=0.5, max_connections=64)


@pytest.fixture
def small_server(config: Config, spool: Spool) -> Iterator[BoundedServer]:
    yield from _serve(config, spool, read_timeout=30, max_connections=2)


def _address(server: BoundedServer) -> tuple[str, int]:
    host, port = server.server_address[:2]
    return str(host), int(port)


def _read_to_close(connection: socket.socket) -> bytes:
    answer = b''
    while chunk := connection.recv(4096):
        answer += chunk
    return answer


def test_a_stalled_upload_is_answered_408_and_closed_with_nothing_kept(
    quick_server: BoundedServer, spool: Spool
) -> None:
    # Given a machine that sends its headers and part of the body, then stalls
    with socket.create_connection(_address(quick_server), timeout=20) as connection:
        head = f'POST /iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG HTTP/1.1\r\nContent-Length: {len(LINE)}\r\n\r\n'
        connection.sendall(head.encode() + LINE[:10])
        # When the bridge's read timeout passes, it answers and closes the socket itself
        answer = _read_to_close(connection)
    # Then the machine is told to try again and nothing of the partial body was kept
    assert answer.startswith(b'HTTP/1.1 408') and b'OK:' not in answer
    assert spool.punch_count() == 0 and spool.quarantined() == []


def test_an_idle_connection_is_closed_by_the_bridge(quick_server: BoundedServer) -> None:
    with socket.create_connection(_address(quick_server), timeout=20) as connection:
        assert _read_to_close(connection) == b''


def test_connections_beyond_the_bound_are_refused_until_one_closes(small_server: BoundedServer, spool: Spool) -> None:
    # Given as many open, silent connections as the listener allows
    address = _address(small_server)
    held = [socket.create_connection(address, timeout=20) for _ in range(small_server.max_connections)]
    # When one more machine connects, it is told the bridge is busy (and keeps its records)
    with socket.create_connection(address, timeout=20) as extra:
        extra.sendall(
            f'POST /iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG HTTP/1.1\r\nContent-Length: 0\r\n\r\n'.encode()
        )
        assert _read_to_close(extra).startswith(b'HTTP/1.1 503')
    # Then once the silent ones go, machines are served again
    for connection in held:
        connection.close()
    for _ in range(200):  # the handler threads notice the closed sockets; no timing is asserted
        machine = PushMachine(*address, PUSH_SERIAL)
        try:
            status, _ = machine.push('ATTLOG', [LINE.decode().strip()])
        except (ConnectionError, OSError):
            status = 0
        finally:
            machine.close()
        if status == 200:
            break
        time.sleep(0.05)
    assert status == 200 and spool.punch_count() == 1


def test_config_reads_the_listener_limits(config: Config) -> None:
    assert (config.read_timeout_seconds, config.max_connections) == (30.0, 64)
