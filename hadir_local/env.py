"""Point the app at the embedded AWS. Must run before anything imports chalicelib (settings bind on import)."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

LOCAL_DIR = Path(os.environ.get('HADIR_LOCAL_DIR', '.hadir-local'))
STATE_DIR = LOCAL_DIR / 'state'
RUNTIME_FILE = LOCAL_DIR / 'runtime.json'
ADMIN_KEY_FILE = LOCAL_DIR / 'admin-key.txt'
KEYS_FILE = LOCAL_DIR / 'keys.json'
AWS_LOG_FILE = LOCAL_DIR / 'embedded-aws.log'
LOCAL_REGION = 'ap-southeast-3'


@dataclass(frozen=True)
class Runtime:
    aws_port: int
    api_port: int
    pid: int


def configure(aws_port: int, api_port: int | None = None) -> None:
    if api_port is not None:
        # Notices (finance's "files ready") link to the console this stack serves, on whatever port it got.
        os.environ.setdefault('HADIR_CONSOLE_URL', f'http://127.0.0.1:{api_port}')
    os.environ.update(
        {
            'HADIR_STAGE': os.environ.get('HADIR_STAGE', 'local'),
            'HADIR_REGION': LOCAL_REGION,
            'HADIR_AWS_ENDPOINT_URL': f'http://127.0.0.1:{aws_port}',
            # One process serves the API, the scheduler and moto: a busy moment is not a dead server.
            'HADIR_AWS_READ_TIMEOUT_SECONDS': '60',
            'AWS_ACCESS_KEY_ID': 'local',
            'AWS_SECRET_ACCESS_KEY': 'local',
            'AWS_DEFAULT_REGION': LOCAL_REGION,
            'POWERTOOLS_SERVICE_NAME': 'hadir',
            'POWERTOOLS_METRICS_NAMESPACE': 'Hadir',
            'POWERTOOLS_TRACE_DISABLED': '1',
            'POWERTOOLS_METRICS_DISABLED': '1',
            'POWERTOOLS_LOG_LEVEL': os.environ.get('POWERTOOLS_LOG_LEVEL', 'WARNING'),
        }
    )
    os.environ.pop('AWS_PROFILE', None)


def port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(('127.0.0.1', port)) == 0


def write_runtime(runtime: Runtime) -> None:
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    RUNTIME_FILE.write_text(json.dumps(runtime.__dict__))


def read_runtime() -> Runtime | None:
    if not RUNTIME_FILE.exists():
        return None
    runtime = Runtime(**json.loads(RUNTIME_FILE.read_text()))
    return runtime if port_is_open(runtime.aws_port) else None
