"""The Lambda's cold import and its package: ``python -X importtime -c "import app"`` in fresh interpreters
(minimum and median of BENCH_IMPORT_RUNS, default 5, with the largest imports of the fastest run), and the size
on disk of the runtime dependencies requirements.txt installs (the dependency layer, uncompressed) beside the
app's own files (app.py and chalicelib/, what Chalice packages).

Every route is one Chalice app, so the check-in function's cold import is ``import app``.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
RESULTS = Path(__file__).parent / 'results'
RUNS = int(os.environ.get('BENCH_IMPORT_RUNS', '5'))
_LINE = re.compile(r'^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$')


def _import_once() -> tuple[float, list[tuple[str, float]]]:
    env = {**os.environ, 'HADIR_STAGE': 'bench', 'AWS_DEFAULT_REGION': 'ap-southeast-3',
           'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench'}  # fmt: skip
    done = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'import app'], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    total, imports = 0.0, []
    for line in done.stderr.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        cumulative_ms, depth, name = int(found.group(2)) / 1000, len(found.group(3)) // 2, found.group(4)
        if name == 'app':
            total = cumulative_ms
        if depth <= 3:
            imports.append((name, cumulative_ms))
    return total, sorted(imports, key=lambda item: -item[1])[:12]


def _requirements() -> list[str]:
    names = []
    for line in (ROOT / 'requirements.txt').read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if line:
            names.append(re.split(r'[\[<>=!~; ]', line, maxsplit=1)[0])
    return names


def _dependency_bytes() -> dict[str, int]:
    """Bytes on disk of each runtime distribution and everything it requires (each counted once)."""
    seen: dict[str, int] = {}
    pending = _requirements()
    while pending:
        name = pending.pop().lower().replace('_', '-')
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            seen[name] = 0
            continue
        size = 0
        for file in dist.files or ():
            path = Path(str(dist.locate_file(file)))
            if path.is_file() and '__pycache__' not in path.parts:
                size += path.stat().st_size
        seen[name] = size
        for requirement in dist.requires or ():
            if 'extra ==' not in requirement:
                pending.append(re.split(r'[\[<>=!~; (]', requirement, maxsplit=1)[0])
    return dict(sorted(seen.items(), key=lambda item: -item[1]))


def main() -> dict[str, Any]:
    runs = [_import_once() for _ in range(RUNS)]
    totals = sorted(total for total, _ in runs)
    fastest = min(runs, key=lambda run: run[0])
    dependencies = _dependency_bytes()
    app_bytes = (ROOT / 'app.py').stat().st_size + sum(
        p.stat().st_size for p in (ROOT / 'chalicelib').rglob('*') if p.is_file() and '__pycache__' not in p.parts
    )
    result = {
        'benchmark': 'cold_start',
        'import_runs': RUNS,
        'import_app_ms_min': round(totals[0], 1),
        'import_app_ms_median': round(statistics.median(totals), 1),
        'largest_imports_ms': {name: round(ms, 1) for name, ms in fastest[1]},
        'dependency_layer_mb': round(sum(dependencies.values()) / 1e6, 1),
        'dependency_mb_by_distribution': {n: round(b / 1e6, 2) for n, b in dependencies.items() if b > 100_000},
        'app_mb': round(app_bytes / 1e6, 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'cold_start.json').write_text(json.dumps(result, indent=2) + '\n')
    print(
        f'cold start: import app {result["import_app_ms_min"]} ms min, {result["import_app_ms_median"]} ms median '
        f'of {RUNS}; dependency layer {result["dependency_layer_mb"]} MB uncompressed + app {result["app_mb"]} MB'
    )
    return result


if __name__ == '__main__':
    main()
