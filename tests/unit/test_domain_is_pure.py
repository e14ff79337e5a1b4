"""The domain package imports no AWS, web framework or environment access, and reads no clock or randomness."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError

DOMAIN = Path(__file__).resolve().parents[2] / 'chalicelib' / 'domain'
FORBIDDEN_MODULES = {'boto3', 'botocore', 'pynamodb', 'chalice', 'aws_lambda_powertools', 'os', 'importlib'}
# Side effects the domain must take as arguments instead.
FORBIDDEN_MODULES |= {'random', 'secrets', 'uuid', 'time', 'socket', 'requests'}
FORBIDDEN_CALLS = {'now', 'utcnow', 'today', '__import__'}
SOURCES = sorted(DOMAIN.rglob('*.py'))


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the package
                base = package.rsplit('.', node.level - 1)[0] if node.level > 1 else package
                found.add(f'{base}.{node.module}' if node.module else base)
            elif node.module:
                found.add(node.module)
    return found


def test_the_walk_finds_the_domain_modules() -> None:
    assert {p.name for p in SOURCES} >= {'access.py', 'api_keys.py', 'audit_chain.py', 'models.py', 'nip.py'}


@pytest.mark.parametrize('source', SOURCES, ids=lambda p: p.name)
def test_domain_module_imports_nothing_impure(source: Path) -> None:
    # Given a domain module's import statements
    modules = imported_modules(ast.parse(source.read_text()), 'chalicelib.domain')
    # When each is reduced to its top-level package
    # Then none is forbidden, and chalicelib imports stay inside the domain package
    assert {m.split('.')[0] for m in modules} & FORBIDDEN_MODULES == set()
    outside = {m for m in modules if m.startswith('chalicelib') and not m.startswith('chalicelib.domain')}
    assert outside == set(), f'{source.name} reaches outside the domain: {outside}'


@pytest.mark.parametrize('source', SOURCES, ids=lambda p: p.name)
def test_domain_module_reads_no_clock(source: Path) -> None:
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, 'id', '')
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Call)
    }
    assert calls & FORBIDDEN_CALLS == set()


def test_the_import_walk_catches_a_forbidden_import() -> None:
    # Given code that sneaks boto3 and settings in; When walked; Then both are seen
    tree = ast.parse('import boto3.session\nfrom ..settings import get_settings\nfrom . import nip')
    assert imported_modules(tree, 'chalicelib.domain') == {
        'boto3.session',
        'chalicelib.settings',
        'chalicelib.domain',
    }


@pytest.mark.filterwarnings('ignore:A test tried to use socket')
def test_unit_tests_run_with_the_network_switched_off() -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket()
