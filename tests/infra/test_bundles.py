"""The code the functions run: Chalice's app zip and dependency layer as infra/stacks/layer.py leaves them.

The layer leaves boto3 and botocore to the Lambda runtime, keeps Indonesia's holiday names only and carries
bytecode instead of sources; the app zip carries bytecode beside its sources. Unpacked as Lambda unpacks them,
with nothing but the runtime's SDK beside them, they import every chalicelib module and run the libraries' parts
the app uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from infra.stacks.layer import RUNTIME
from tests.infra.conftest import Assembly

SITE = f'python/lib/{RUNTIME}/site-packages/'
RUNTIME_SDK = ('boto3', 'botocore', 's3transfer', 'jmespath', 'dateutil', 'six.py', 'urllib3')
LAYER_ZIP_LIMIT_MB = 15
# What the functions do with their libraries, in a bare interpreter on the unpacked zips.
EXERCISE = """
import importlib, io, pkgutil
import app
import chalicelib
for module in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'):
    importlib.import_module(module.name)
from chalicelib.services.schedules import national_holidays
days = national_holidays(2026)
assert any(h.name == 'Hari Kemerdekaan Republik Indonesia' for h in days), [h.name for h in days]
from openpyxl import Workbook
book = Workbook(); book.active['A1'] = 'Hadir'; book.save(io.BytesIO())
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
key = ec.generate_private_key(ec.SECP256R1())
key.public_key().verify(key.sign(b'hadir', ec.ECDSA(hashes.SHA256())), b'hadir', ec.ECDSA(hashes.SHA256()))
import aws_xray_sdk.core, boto3, botocore, pynamodb, pydantic_core
print('ok', botocore.__file__)
"""


def _asset(assembly: Assembly, template: dict[str, Any], resource_type: str, uri_key: str) -> Path:
    keys = {r['Properties'][uri_key]['Key'] for r in template['Resources'].values() if r['Type'] == resource_type}
    assert len(keys) == 1, keys
    found = sorted(assembly.outdir.glob(f'asset.{PurePosixPath(keys.pop()).stem}*'))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope='module')
def layer_zip(assembly: Assembly) -> Path:
    return _asset(assembly, assembly.template('dev'), 'AWS::Serverless::LayerVersion', 'ContentUri')


@pytest.fixture(scope='module')
def app_zip(assembly: Assembly) -> Path:
    template = assembly.template('dev')
    keys = {
        r['Properties']['CodeUri']['Key']
        for r in template['Resources'].values()
        if r['Type'] == 'AWS::Serverless::Function' and isinstance(r['Properties'].get('CodeUri'), dict)
    }
    assert len(keys) == 1, 'every Chalice function runs the one app zip'
    found = sorted(assembly.outdir.glob(f'asset.{PurePosixPath(keys.pop()).stem}*'))
    assert len(found) == 1, found
    return found[0]


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_the_layer_leaves_the_sdk_to_the_runtime_and_stays_under_its_budget(layer_zip: Path) -> None:
    # Given the deployed layer
    names = _names(layer_zip)
    top = {n.removeprefix(SITE).split('/')[0] for n in names if n.startswith(SITE)}
    # Then the runtime's SDK is not in it, the app's own dependencies are
    assert not top & set(RUNTIME_SDK)
    assert {'pydantic', 'pydantic_core', 'pynamodb', 'aws_lambda_powertools', 'cryptography', 'holidays'} <= top
    # And it fits the budget, zipped
    assert layer_zip.stat().st_size <= LAYER_ZIP_LIMIT_MB * 1_000_000


def test_the_layer_is_bytecode_with_indonesias_holiday_names_only(layer_zip: Path) -> None:
    names = _names(layer_zip)
    sources = [n for n in names if n.endswith('.py')]
    assert f'{SITE}pydantic/main.pyc' in names and f'{SITE}pydantic/main.py' not in names
    assert len(sources) < len(names) // 100, sources[:10]  # only what does not compile for this runtime
    catalogues = {PurePosixPath(n).name for n in names if '/holidays/locale/' in n and n.endswith('.mo')}
    assert catalogues == {'ID.mo'}


def test_the_app_zip_has_bytecode_beside_every_source(app_zip: Path) -> None:
    names = set(_names(app_zip))
    sources = [n for n in names if n.endswith('.py') and n.startswith(('app.py', 'chalicelib/'))]
    assert 'app.py' in sources and len(sources) > 100
    tag = sys.implementation.cache_tag
    missing = [s for s in sources if str(PurePosixPath(s).parent / '__pycache__' / f'{PurePosixPath(s).stem}.{tag}.pyc')
               not in names]  # fmt: skip
    assert missing == []


@pytest.fixture(scope='module')
def unpacked(tmp_path_factory: pytest.TempPathFactory, app_zip: Path, layer_zip: Path) -> Iterator[tuple[Path, str]]:
    import botocore

    work = tmp_path_factory.mktemp('lambda')
    task, layer, runtime = work / 'task', work / 'opt', work / 'runtime'
    for archive, into in ((app_zip, task), (layer_zip, layer)):
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(into)
    runtime.mkdir()
    for name in RUNTIME_SDK:  # the runtime's SDK: here the venv's
        (runtime / name).symlink_to(Path(botocore.__file__).parent.parent / name)
    yield task, os.pathsep.join(str(p) for p in (task, layer / SITE, runtime))


@pytest.mark.parametrize('tracing', ['on', 'off'])
def test_the_unpacked_zips_run_the_app_with_only_the_runtimes_sdk_beside_them(
    unpacked: tuple[Path, str], tracing: str
) -> None:
    # Given the two zips unpacked as Lambda does, a bare interpreter (no site-packages) and no bytecode cache
    task, path = unpacked
    env = {'PATH': os.environ.get('PATH', ''), 'PYTHONPATH': path, 'PYTHONDONTWRITEBYTECODE': '1',
           'LAMBDA_TASK_ROOT': str(task), 'HADIR_STAGE': 'dev', 'AWS_DEFAULT_REGION': 'ap-southeast-3',
           'AWS_ACCESS_KEY_ID': 'x', 'AWS_SECRET_ACCESS_KEY': 'x', 'POWERTOOLS_SERVICE_NAME': 'hadir'}  # fmt: skip
    if tracing == 'off':
        env['POWERTOOLS_TRACE_DISABLED'] = 'true'
    # When it imports every module and uses holidays, openpyxl, cryptography and the SDK
    done = subprocess.run([sys.executable, '-S', '-c', EXERCISE], cwd=task, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    # Then all of it works, with botocore from the runtime
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.startswith('ok ') and '/runtime/botocore/' in done.stdout
