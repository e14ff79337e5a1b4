"""A connection lost mid-request commits nothing: the machine, which got no OK, sends the whole body again."""

from __future__ import annotations

import json
import socket

import pytest
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PUSH_SERIAL

LINES = ['1452\t2026-01-05 07:31:02\t0\t15\t0\t0\t0', '77\t2026-01-05 07:31:40\t1\t1\t0\t0\t0']
BODY = ('\n'.join(LINES) + '\n').encode()
TARGET = f'/iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG&Stamp=9'


def _with_length(body: bytes) -> bytes:
    head = f'POST {TARGET} HTTP/1.1\r\nHost: bridge\r\nContent-Length: {len(body)}\r\n\r\n'
    return head.encode() + body


def _chunked(body: bytes) -> bytes:
    head = f'POST {TARGET} HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding: chunked\r\n\r\n'.encode()
    half = len(body) // 2
    chunks = b''.join(f'{len(part):x}\r\n'.encode() + part + b'\r\n' for part in (body[:half], body[half:]))
    return head + chunks + b'0\r\n\r\n'


def _send(address: tuple[str, int], data: bytes, cut: bool) -> bytes:
    """Send ``data`` and, when ``cut``, end the connection there (the machine lost its link); return all answered."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(data)
        if cut:
            connection.shutdown(socket.SHUT_WR)
        answer = b''
        while True:
            # The bridge closes the connection once it has dealt with the request: wait for that, so every
            # cut request is finished before the next one starts.
            chunk = connection.recv(4096)
            if not chunk:
                return answer
            answer += chunk
            if not cut and answer.endswith(b'OK: 2'):
                return answer


@pytest.mark.parametrize('frame', [_with_length, _chunked], ids=['content-length', 'chunked'])
def test_a_body_cut_at_every_byte_then_sent_whole_leaves_exactly_the_two_complete_punches(
    running_bridge: Bridge, spool: Spool, frame: object
) -> None:
    # Given a two-line ATTLOG post, framed by Content-Length or by chunks
    request = frame(BODY)  # type: ignore[operator]
    # When the connection is lost after every possible byte of it, headers and body alike
    for offset in range(1, len(request)):
        answer = _send(running_bridge.address, request[:offset], cut=True)
        assert b'OK:' not in answer, f'a request cut after {offset} bytes was acknowledged'
    # Then nothing was committed or quarantined, and the whole re-send is
    assert spool.punch_count() == 0 and spool.quarantined() == []
    assert _send(running_bridge.address, request, cut=False).endswith(b'OK: 2')
    rows = spool._read("SELECT payload FROM records WHERE kind = 'punch' ORDER BY seq")
    punches = [json.loads(row['payload']) for row in rows]
    assert [(p['pin'], p['status'], p['verify'], p['raw']) for p in punches] == [
        ('1452', 0, 15, LINES[0]),
        ('77', 1, 1, LINES[1]),
    ]
    assert spool.quarantined() == []
