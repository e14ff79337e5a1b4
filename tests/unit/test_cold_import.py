"""`import app` (the Lambda's cold import) declares every route without importing a service, an adapter, boto3 or
the heavy libraries; each route's body model is still there, loaded by name when first needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
# Imported by a request (or a job) that needs them, never by declaring the routes.
LAZY_PREFIXES = ('chalicelib.services', 'chalicelib.wiring', 'chalicelib.adapters', 'chalicelib.domain.models')
LAZY_LIBRARIES = ('boto3', 'pynamodb', 'holidays', 'aws_xray_sdk', 'openpyxl', 'cryptography')
PROBE = """
import json, sys
import app
from chalicelib.api.routing import REGISTRY
print(json.dumps({'modules': sorted(sys.modules), 'routes': len(app.app.routes), 'declared': len(REGISTRY)}))
"""


# Each module as the first chalicelib import of a process, as a view's, a job's or a Lambda handler's import is.
EACH_FIRST = """
import importlib, json, pkgutil, sys
import chalicelib
names = sorted(m.name for m in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'))
failed = {}
for name in names:
    for loaded in [m for m in sys.modules if m == 'chalicelib' or m.startswith('chalicelib.')]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
print(json.dumps({'modules': len(names), 'failed': failed}))
"""


def _import_app_in_a_fresh_interpreter(**env: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, '-c', PROBE], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, check=True)  # fmt: skip
    loaded: dict[str, object] = json.loads(done.stdout)
    return loaded


def test_import_app_declares_the_routes_without_services_adapters_or_heavy_libraries() -> None:
    # Given a fresh interpreter with tracing off (tests/conftest.py)
    # When it imports app
    probe = _import_app_in_a_fresh_interpreter()
    modules = probe['modules']
    assert isinstance(modules, list)
    # Then every route is declared
    assert probe['declared'] and probe['routes']
    # And nothing a request needs is imported yet
    eager = [m for m in modules if m.startswith(LAZY_PREFIXES) or m.split('.')[0] in LAZY_LIBRARIES]
    assert eager == []


def test_every_module_imports_first_on_its_own() -> None:
    # Given each chalicelib module, imported with no other chalicelib module loaded (import cycles show only then)
    done = subprocess.run([sys.executable, '-c', EACH_FIRST], cwd=ROOT, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    # Then every one of them imports
    assert report['modules'] > 100
    assert report['failed'] == {}


def test_every_body_reference_names_a_pydantic_model() -> None:
    # Given every declared route
    import app  # noqa: F401
    from chalicelib.api.routing import REGISTRY

    with_body = [spec for spec in REGISTRY if spec.body_ref is not None]
    assert len(with_body) > 30
    # Then each body loads as the model it names
    for spec in with_body:
        model = spec.body
        assert isinstance(model, type) and issubclass(model, BaseModel), spec.path
        if isinstance(spec.body_ref, str):
            assert spec.body_ref.endswith(f':{model.__name__}')


def test_values_written_out_in_the_routes_equal_their_sources() -> None:
    # Given the constants the route declarations spell out instead of importing
    from chalicelib.api.bridges import MANUAL_LIST_BODY_BYTES
    from chalicelib.api.mobile import REVIEW_STATES
    from chalicelib.domain.checkin import Outcome
    from chalicelib.services.manual_lists import MAX_BODY_BYTES

    # Then they are the values of the modules they stand for
    assert REVIEW_STATES == tuple(o.value for o in Outcome)
    assert MANUAL_LIST_BODY_BYTES == MAX_BODY_BYTES
