"""Synthesise infra/ once per session, in a child process, with no AWS account.

A child process because Chalice's construct imports app.py and edits os.environ while packaging; the
test process keeps its own environment and imports. The child runs exactly what `make synth` runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = '123456789012'
ALARM_EMAIL = 'tim-tik@example.go.id'
FINANCE_EMAIL = 'bpkad@example.go.id'
PEMDA = 'Kabupaten Contoh'
SYNTH_TIMEOUT_SECONDS = 600
STAGES = ('dev', 'prod')


@dataclass(frozen=True)
class Assembly:
    outdir: Path
    seconds: float
    log: str

    def _json(self, name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.outdir / name).read_text())
        return loaded

    def template(self, stage: str) -> dict[str, Any]:
        return self._json(f'hadir-{stage}.template.json')

    def metadata(self, stage: str) -> dict[str, Any]:
        return self._json(f'hadir-{stage}.metadata.json')

    # The stage's second stack, in the Rekognition region (infra/stacks/rekognition_region.py).
    def rekognition_template(self, stage: str) -> dict[str, Any]:
        return self._json(f'hadir-{stage}-rekognition.template.json')

    def rekognition_metadata(self, stage: str) -> dict[str, Any]:
        return self._json(f'hadir-{stage}-rekognition.metadata.json')

    def manifest(self) -> dict[str, Any]:
        return self._json('manifest.json')


def _child_env() -> dict[str, str]:
    # Nothing of the test process's fake AWS or Hadir settings leaks into the synthesis.
    drop = ('HADIR_', 'AWS_', 'CDK_', 'POWERTOOLS_')
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env['JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION'] = '20'
    env['JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION'] = '1'
    return env


@pytest.fixture(scope='session')
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assembly]:
    pytest.importorskip('aws_cdk', reason='infra/requirements.txt is not installed')
    work = tmp_path_factory.mktemp('synth')
    web = work / 'web'
    web.mkdir()
    (web / 'index.html').write_text('<!doctype html><title>Hadir</title>')
    context = {'account': ACCOUNT, 'alarm_email': ALARM_EMAIL, 'finance_email': FINANCE_EMAIL, 'pemda': PEMDA,
               'web_dir': str(web)}  # fmt: skip
    env = _child_env() | {'CDK_OUTDIR': str(work / 'cdk.out'), 'CDK_CONTEXT_JSON': json.dumps(context)}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / 'infra' / 'app.py')],
        cwd=work,  # Chalice writes its chalice.out/ packaging here
        env=env,
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_SECONDS,
        check=False,
    )
    seconds = time.monotonic() - started
    log = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f'synthesis failed ({result.returncode}):\n{log[-6000:]}')
    yield Assembly(work / 'cdk.out', seconds, log)


@pytest.fixture(scope='session', params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope='session')
def template(assembly: Assembly, stage: str) -> dict[str, Any]:
    return assembly.template(stage)
