"""The two zips Chalice packages, made ready for a cold start: the dependency layer and the app's code.

The layer. Chalice's automatic layer is every wheel requirements.txt resolves to, transitive ones included:
pynamodb and aws-xray-sdk pull botocore (22 MB of the layer's 58 MB, 17 MB of its 29 MB zip). The Python
runtime ships boto3 and botocore with their own dependencies, so the layer drops them and the functions use
the runtime's SDK. The trade-off: the SDK's version is the runtime's (AWS updates it), not one this repository
pins; the app calls only long-standing DynamoDB, S3, SQS, SNS and Rekognition operations. (A layer botocore
would also sit before the runtime's on sys.path, beside the runtime's boto3 it was not released with.) The
holidays package keeps only Indonesia's translations: its calendars are code, each country's names a
gettext catalogue.

Bytecode. Chalice unpacks wheels without compiling them, and /opt and /var/task are read-only, so every cold
start compiled each module it imported from source (about 1.5 s of the check-in function's `import app` on a
2-core machine, bench/cold_start.py). Both zips now carry bytecode that Python uses without checking the source's
time stamp (unchecked-hash: the zip's times cannot be trusted), compiled by this interpreter, whose version is
the runtime's (Chalice takes the runtime from it). The layer's modules are bytecode only (`module.pyc` in place
of `module.py`, which keeps the layer under 15 MB zipped): a traceback through a library names its file and
line without quoting the line. The app keeps its sources beside their bytecode.
"""

from __future__ import annotations

import py_compile
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib.util import cache_from_source
from pathlib import Path, PurePosixPath

# Distributions the AWS Lambda Python runtime provides (boto3 and what it requires).
RUNTIME_PROVIDED = frozenset({'boto3', 'botocore', 's3transfer', 'jmespath', 'python_dateutil', 'six', 'urllib3'})
HOLIDAY_COUNTRIES = frozenset({'ID'})
RUNTIME = f'python{sys.version_info.major}.{sys.version_info.minor}'
LAYER_ROOT = '/opt'  # where Lambda unpacks a layer
TASK_ROOT = '/var/task'  # ... and the function's code


@dataclass(frozen=True)
class ZipSize:
    files: int
    bytes: int  # uncompressed
    zip_bytes: int  # the zip's size on disk

    @property
    def mb(self) -> float:
        return round(self.bytes / 1e6, 1)

    @property
    def zip_mb(self) -> float:
        return round(self.zip_bytes / 1e6, 1)


def measure(path: Path) -> ZipSize:
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    return ZipSize(len(infos), sum(i.file_size for i in infos), path.stat().st_size)


def _distribution(dist_info: str) -> str:
    return dist_info.removesuffix('.dist-info').rsplit('-', 1)[0].lower().replace('-', '_')


def runtime_provided_files(archive: zipfile.ZipFile) -> set[str]:
    """Every file of the runtime-provided distributions, from each one's RECORD."""
    names = archive.namelist()
    found: set[str] = set()
    for name in names:
        path = PurePosixPath(name)
        if path.name != 'RECORD' or _distribution(path.parent.name) not in RUNTIME_PROVIDED:
            continue
        site = path.parent.parent
        found.update(str(site / line.split(',', 1)[0]) for line in archive.read(name).decode().splitlines() if line)
        found.update(n for n in names if n.startswith(f'{path.parent}/'))
    return found


def _other_holiday_catalogue(name: str) -> bool:
    path = PurePosixPath(name)
    return 'holidays' in path.parts and 'locale' in path.parts and path.stem not in HOLIDAY_COUNTRIES


def _compile(source: Path, shown_as: str, target: Path) -> bool:
    try:
        py_compile.compile(str(source), str(target), shown_as, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)  # fmt: skip
    except py_compile.PyCompileError:
        return False  # left as source (a file no runtime imports, e.g. another Python's syntax)
    return True


def _rewrite(path: Path, keep: set[str], extra: dict[str, tuple[zipfile.ZipInfo, bytes]]) -> None:
    rewritten = path.with_suffix('.new.zip')
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, 'w', zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in keep:
                target.writestr(info, source.read(info.filename))
        for name in sorted(extra):
            like, data = extra[name]
            info = zipfile.ZipInfo(name, date_time=like.date_time)
            info.external_attr, info.compress_type = like.external_attr, zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    rewritten.replace(path)


def _check_runtime(names: list[str]) -> None:
    runtimes = {p.split('/')[2] for p in names if p.startswith('python/lib/')}
    if runtimes - {RUNTIME}:
        raise ValueError(f'layer built for {sorted(runtimes)}, but this interpreter compiles for {RUNTIME}')


def slim_layer(layer_zip: Path) -> tuple[ZipSize, ZipSize]:
    """Rewrite Chalice's layer zip in place: without the runtime's SDK and other countries' holiday names, and
    with bytecode in place of the sources. Returns the sizes before and after."""
    before = measure(layer_zip)
    with zipfile.ZipFile(layer_zip) as archive, tempfile.TemporaryDirectory() as tmp:
        names = archive.namelist()
        _check_runtime(names)
        dropped = runtime_provided_files(archive)
        kept = {n for n in names if n not in dropped and not _other_holiday_catalogue(n)}
        compiled: dict[str, tuple[zipfile.ZipInfo, bytes]] = {}
        for name in sorted(n for n in kept if n.endswith('.py')):
            source = Path(tmp) / name
            archive.extract(name, tmp)
            target = source.with_suffix('.pyc')
            if _compile(source, f'{LAYER_ROOT}/{name}', target):
                kept.discard(name)
                compiled[f'{name}c'] = (archive.getinfo(name), target.read_bytes())
    _rewrite(layer_zip, kept, compiled)
    return before, measure(layer_zip)


def compile_app(app_zip: Path) -> tuple[ZipSize, ZipSize]:
    """Add bytecode beside each source of Chalice's app zip (app.py, chalicelib/, Chalice's own app module)."""
    before = measure(app_zip)
    with zipfile.ZipFile(app_zip) as archive, tempfile.TemporaryDirectory() as tmp:
        names = archive.namelist()
        kept = {n for n in names if '__pycache__' not in PurePosixPath(n).parts}  # a developer's own, time-stamped
        compiled: dict[str, tuple[zipfile.ZipInfo, bytes]] = {}
        for name in sorted(n for n in kept if n.endswith('.py')):
            source = Path(tmp) / name
            archive.extract(name, tmp)
            target = Path(cache_from_source(str(source)))
            if _compile(source, f'{TASK_ROOT}/{name}', target):
                compiled[str(PurePosixPath(target.relative_to(tmp)))] = (archive.getinfo(name), target.read_bytes())
    _rewrite(app_zip, kept, compiled)
    return before, measure(app_zip)
