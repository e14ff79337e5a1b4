"""The Lambda's cold import and its package.

Import: ``python -X importtime -c "import app"`` in fresh interpreters, BENCH_IMPORT_RUNS times (default 7),
minimum and median, with the largest imports of the fastest run. Every route is one Chalice app (APIHandler),
so the check-in function's cold import is ``import app``. Three setups:

- ``dev``: the project's venv, tracing off (as tests and ``make run`` import it);
- ``lambda``: what Lambda has: the app as Chalice packages it, the dependency layer as infra builds it
  (Chalice's layer zip, slimmed by infra/stacks/layer.py), boto3/botocore from the runtime (here the venv's
  copies), no site-packages, no bytecode written (the task and layer directories are read-only there), and
  ``LAMBDA_TASK_ROOT`` set, so Powertools traces as it does deployed with X-Ray on;
- ``lambda_no_tracing``: the same with POWERTOOLS_TRACE_DISABLED.

A cold check-in also imports, at its first request, what the view needs (``first_checkin_imports``: the
check-in service, the wiring and its adapters, boto3 and the settings); that is measured too, in ``lambda``.

Package: the dependency layer zip Chalice builds from requirements.txt (its cache in .chalice/deployments,
else from PyPI), before and after infra's slimming, uncompressed and zipped, by distribution; and the app's
files.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from infra.stacks.layer import RUNTIME, RUNTIME_PROVIDED, compile_app, slim_layer  # noqa: E402

RESULTS = Path(__file__).parent / 'results'
RUNS = int(os.environ.get('BENCH_IMPORT_RUNS', '7'))
_LINE = re.compile(r'^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$')
# The runtime's SDK, by top-level package (RUNTIME_PROVIDED names distributions).
_RUNTIME_PACKAGES = ('boto3', 'botocore', 's3transfer', 'jmespath', 'dateutil', 'six.py', 'urllib3')
FIRST_CHECKIN = (
    'import app; import chalicelib.services.checkins, chalicelib.wiring, chalicelib.adapters.idempotency; '
    'from chalicelib.settings import get_settings; get_settings()'
)
# Imported first by the measured code, so what the interpreter imported at start-up (site, encodings) is left out.
_MARKER = 'colorsys'
_BASE_ENV = {'HADIR_STAGE': 'bench', 'AWS_DEFAULT_REGION': 'ap-southeast-3', 'AWS_REGION': 'ap-southeast-3',
             'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench',
             'PYTHONDONTWRITEBYTECODE': '1'}  # fmt: skip


def _import_once(args: list[str], code: str, cwd: Path, env: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
    done = subprocess.run([sys.executable, *args, '-X', 'importtime', '-c', f'import {_MARKER}; {code}'], cwd=cwd,
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    total, imports, started = 0.0, [], False
    for line in done.stderr.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        cumulative_ms, depth, name = int(found.group(2)) / 1000, len(found.group(3)) // 2, found.group(4)
        if name == _MARKER:
            started = True
            continue
        if not started:
            continue
        if depth == 0:
            total += cumulative_ms
        if name != 'app' and depth <= 3:
            imports.append((name, cumulative_ms))
    return total, sorted(imports, key=lambda item: -item[1])[:10]


def _runs(args: list[str], code: str, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    runs = [_import_once(args, code, cwd, env) for _ in range(RUNS)]
    totals = sorted(total for total, _ in runs)
    fastest = min(runs, key=lambda run: run[0])
    return {
        'ms_min': round(totals[0], 1),
        'ms_median': round(statistics.median(totals), 1),
        'largest_imports_ms': {name: round(ms, 1) for name, ms in fastest[1]},
    }


def _chalice_zips() -> tuple[Path, Path]:
    """Chalice's own app zip and layer for this project (the calls `chalice package`, and so infra, make)."""
    from chalice.deploy.packager import AppOnlyDeploymentPackager, DependencyBuilder, LayerDeploymentPackager
    from chalice.utils import UI, OSUtils

    osutils = OSUtils()
    made = [kind(osutils, DependencyBuilder(osutils), UI()).create_deployment_package(str(ROOT), RUNTIME)
            for kind in (AppOnlyDeploymentPackager, LayerDeploymentPackager)]  # fmt: skip
    return Path(made[0]), Path(made[1])


def _by_distribution(layer_zip: Path) -> dict[str, float]:
    sizes: collections.Counter[str] = collections.Counter()
    with zipfile.ZipFile(layer_zip) as archive:
        for info in archive.infolist():
            parts = info.filename.split('/')
            top = parts[4] if len(parts) > 5 else parts[-1]
            sizes[top.split('-')[0].removesuffix('.py')] += info.file_size
    return {name: round(size / 1e6, 2) for name, size in sizes.most_common() if size > 100_000}


def _lambda_tree(work: Path, app_zip: Path, layer_zip: Path) -> tuple[Path, str]:
    """/var/task (the app zip), /opt (the layer zip) and the runtime's SDK (the venv's boto3 and botocore)."""
    import botocore

    task, layer, runtime = work / 'task', work / 'opt', work / 'runtime'
    for archive, into in ((app_zip, task), (layer_zip, layer)):
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(into)
    runtime.mkdir()
    venv_site = Path(botocore.__file__).parent.parent
    for name in _RUNTIME_PACKAGES:
        (runtime / name).symlink_to(venv_site / name)
    site = layer / 'python' / 'lib' / RUNTIME / 'site-packages'
    return task, os.pathsep.join(str(p) for p in (task, site, runtime))


def _lambda_imports(task: Path, path: str) -> dict[str, Any]:
    env = {'PATH': os.environ.get('PATH', ''), 'PYTHONPATH': path, 'LAMBDA_TASK_ROOT': str(task),
           'POWERTOOLS_SERVICE_NAME': 'hadir', **_BASE_ENV}  # fmt: skip
    return {
        'import_app': _runs(['-S'], 'import app', task, env),
        'import_app_no_tracing': _runs(['-S'], 'import app', task, env | {'POWERTOOLS_TRACE_DISABLED': 'true'}),
        'first_checkin_imports': _runs(['-S'], FIRST_CHECKIN, task, env),
    }


def main() -> dict[str, Any]:
    dev_env = {k: v for k, v in os.environ.items() if not k.startswith(('POWERTOOLS_', 'LAMBDA_', 'HADIR_'))}
    dev_env |= _BASE_ENV
    result: dict[str, Any] = {'benchmark': 'cold_start', 'import_runs': RUNS}
    result['import_app_dev'] = _runs([], 'import app', ROOT, dev_env)

    chalice_app, chalice_layer = _chalice_zips()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chalice_dir, deployed_dir = work / 'chalice', work / 'deployed'
        for folder in (chalice_dir, deployed_dir):
            folder.mkdir()
            for made in (chalice_app, chalice_layer):
                shutil.copy(made, folder / made.name)
        # As Chalice packages it (no bytecode, the whole layer), then as infra deploys it.
        result['lambda_as_chalice_packages'] = _lambda_imports(
            *_lambda_tree(chalice_dir, chalice_dir / chalice_app.name, chalice_dir / chalice_layer.name)
        )
        app_before, app_after = compile_app(deployed_dir / chalice_app.name)
        before, after = slim_layer(deployed_dir / chalice_layer.name)
        result['lambda_as_deployed'] = _lambda_imports(
            *_lambda_tree(deployed_dir, deployed_dir / chalice_app.name, deployed_dir / chalice_layer.name)
        )
        result['layer'] = {
            'as_chalice_builds_it': {'mb': before.mb, 'zip_mb': before.zip_mb, 'files': before.files},
            'as_deployed': {'mb': after.mb, 'zip_mb': after.zip_mb, 'files': after.files},
            'left_to_the_runtime': sorted(RUNTIME_PROVIDED),
            'deployed_mb_by_distribution': _by_distribution(deployed_dir / chalice_layer.name),
        }
        result['app'] = {
            'as_chalice_builds_it': {'mb': app_before.mb, 'zip_mb': app_before.zip_mb},
            'as_deployed': {'mb': app_after.mb, 'zip_mb': app_after.zip_mb},
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'cold_start.json').write_text(json.dumps(result, indent=2) + '\n')
    print(_summary(result, before, after))
    return result


def _summary(result: dict[str, Any], before: Any, after: Any) -> str:
    def figures(runs: dict[str, Any]) -> str:
        return f'{runs["ms_min"]:.0f}/{runs["ms_median"]:.0f}'

    chalice, deployed = result['lambda_as_chalice_packages'], result['lambda_as_deployed']
    return (
        f'cold start, min/median of {RUNS} ms: import app {figures(result["import_app_dev"])} (venv); as in Lambda '
        f'(traced, untraced, + first check-in imports) {figures(deployed["import_app"])}, '
        f'{figures(deployed["import_app_no_tracing"])}, {figures(deployed["first_checkin_imports"])} deployed vs '
        f'{figures(chalice["import_app"])}, {figures(chalice["import_app_no_tracing"])}, '
        f'{figures(chalice["first_checkin_imports"])} as Chalice packages it; layer {after.zip_mb} MB zip '
        f'({after.mb} MB unzipped) vs {before.zip_mb} MB ({before.mb} MB)'
    )


if __name__ == '__main__':
    main()
