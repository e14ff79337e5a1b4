"""A simulated ZKTeco push machine: speaks the iclock HTTP protocol to a bridge over loopback."""

from __future__ import annotations

import http.client
from datetime import datetime, timedelta
from urllib.parse import quote


class PushMachine:
    def __init__(self, host: str, port: int, serial: str) -> None:
        self.serial = serial
        self.connection = http.client.HTTPConnection(host, port, timeout=10)

    def close(self) -> None:
        self.connection.close()

    def request(self, method: str, path: str, body: str | bytes | None = None) -> tuple[int, str, dict[str, str]]:
        data = body.encode() if isinstance(body, str) else body
        headers = {'Content-Type': 'text/plain'} if data is not None else {}
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The bridge closes a connection left idle (its read timeout); a machine then connects again.
            self.connection.close()
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode('utf-8')
        return response.status, text, {name.lower(): value for name, value in response.getheaders()}

    def handshake(self) -> tuple[int, dict[str, str], dict[str, str]]:
        status, text, headers = self.request(
            'GET', f'/iclock/cdata?SN={self.serial}&options=all&pushver=2.4.1&language=69&pushcommkey=abc'
        )
        options = dict(line.split('=', 1) for line in text.splitlines() if '=' in line)
        return status, options, headers

    def push(self, table: str, lines: list[str], stamp: int = 1) -> tuple[int, str]:
        status, text, _ = self.request(
            'POST', f'/iclock/cdata?SN={self.serial}&table={table}&Stamp={stamp}', '\n'.join(lines) + '\n'
        )
        return status, text

    def getrequest(self, info: str | None = None) -> tuple[int, str]:
        suffix = f'&INFO={quote(info)}' if info else ''
        status, text, _ = self.request('GET', f'/iclock/getrequest?SN={self.serial}{suffix}')
        return status, text

    def devicecmd(self, body: str) -> tuple[int, str]:
        status, text, _ = self.request('POST', f'/iclock/devicecmd?SN={self.serial}', body)
        return status, text


def attlog_lines(count: int, start: datetime = datetime(2026, 3, 2, 7, 0, 0)) -> list[str]:
    """``count`` distinct ATTLOG lines in the reference format: PIN, time, status, verify, workcode, reserved ×2."""
    lines = []
    for index in range(count):
        pin = 1 + index % 700
        moment = start + timedelta(seconds=41 * index)
        status = index % 2
        verify = (1, 15, 4)[index % 3]
        lines.append(f'{pin}\t{moment:%Y-%m-%d %H:%M:%S}\t{status}\t{verify}\t0\t0\t0')
    return lines
