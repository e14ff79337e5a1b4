"""The local web server's static side, as pure functions: which file a request target names, and its type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hadir_local.web_server import WEB_ROOT, content_type, is_api_path, resolve_static


@pytest.fixture
def root(tmp_path: Path) -> Path:
    # Given a web root with an index, a module, a folder with and one without an index, a dotfile and a secret
    # beside the root
    site = tmp_path / 'web'
    (site / 'js').mkdir(parents=True)
    (site / 'docs').mkdir()
    (site / 'index.html').write_text('<!doctype html>')
    (site / 'js' / 'app.js').write_text('export {}')
    (site / 'docs' / 'index.html').write_text('docs')
    (site / '.env').write_text('SECRET=1')
    (tmp_path / 'secret.txt').write_text('outside the root')
    return site


@pytest.mark.parametrize(
    ('target', 'expected'),
    [
        ('/', 'index.html'),
        ('/index.html', 'index.html'),
        ('/?utm=1#/presensi', 'index.html'),
        ('/js/app.js', 'js/app.js'),
        ('/js/app.js?v=3', 'js/app.js'),
        ('/js//app.js', 'js/app.js'),
        ('/%6As/app.js', 'js/app.js'),
        ('/docs/', 'docs/index.html'),
        ('/docs', 'docs/index.html'),
    ],
)
def test_a_target_names_a_file_under_the_root(root: Path, target: str, expected: str) -> None:
    assert resolve_static(root, target) == (root / expected).resolve()


@pytest.mark.parametrize(
    'target',
    [
        '/../secret.txt',
        '/js/../../secret.txt',
        '/%2e%2e/secret.txt',
        '/%2E%2E%2Fsecret.txt',
        '/js/%2e%2e/%2e%2e/secret.txt',
        '/..%5csecret.txt',
        '/js\\..\\..\\secret.txt',
        '//etc/passwd',
        '/.env',
        '/js/./app.js',
        '/index.html%00.js',
        '/js/',  # a folder without an index: never a listing
        '/missing.js',
        'index.html',  # not origin-form
    ],
)
def test_traversal_hidden_files_listings_and_missing_files_are_not_served(root: Path, target: str) -> None:
    assert resolve_static(root, target) is None


def test_a_symlink_out_of_the_root_is_not_followed(root: Path) -> None:
    # Given a link inside the root that points outside it
    (root / 'leak.txt').symlink_to(root.parent / 'secret.txt')
    # When it is asked for; Then it is refused
    assert resolve_static(root, '/leak.txt') is None


def test_invalid_percent_encoding_is_an_error_the_server_answers_with_404(root: Path) -> None:
    with pytest.raises(UnicodeDecodeError):
        resolve_static(root, '/%ff%fe.js')


@pytest.mark.parametrize(
    ('name', 'expected'),
    [
        ('index.html', 'text/html; charset=utf-8'),
        ('app.js', 'text/javascript; charset=utf-8'),
        ('sw.js', 'text/javascript; charset=utf-8'),
        ('styles.css', 'text/css; charset=utf-8'),
        ('manifest.webmanifest', 'application/manifest+json'),
        ('icon.svg', 'image/svg+xml'),
        ('ICON.PNG', 'image/png'),
        ('data.bin', 'application/octet-stream'),
        ('Makefile', 'application/octet-stream'),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type(Path(name)) == expected


@pytest.mark.parametrize(
    ('target', 'api'),
    [
        ('/v1', True),
        ('/v1/health', True),
        ('/v1/mobile/checkins?month=2026-11', True),
        ('/v1?x=1', True),
        ('/', False),
        ('/v10/x', False),
        ('/v1x', False),
        ('/js/v1/app.js', False),
        ('/index.html?next=/v1/health', False),
    ],
)
def test_only_v1_and_below_goes_to_the_api(target: str, api: bool) -> None:
    assert is_api_path(target) is api


def test_every_file_of_the_web_app_has_a_known_type_and_is_reachable() -> None:
    # Given the real web/ folder; Then every file is served under its own path with a specific content type
    files = [p for p in WEB_ROOT.rglob('*') if p.is_file()]
    assert {'index.html', 'sw.js', 'manifest.webmanifest', 'js/app.js', 'js/api.js', 'js/store.js'} <= {
        p.relative_to(WEB_ROOT).as_posix() for p in files
    }
    for path in files:
        assert content_type(path) != 'application/octet-stream', path
        assert resolve_static(WEB_ROOT, '/' + path.relative_to(WEB_ROOT).as_posix()) == path.resolve()


def test_the_service_worker_caches_every_file_of_the_app_shell() -> None:
    # Given the shell list in web/sw.js; Then it names every file of the phone app but itself (the console in admin/
    # is another front end; a shared module is the phone's when the phone's files import it), so it opens offline
    source = (WEB_ROOT / 'sw.js').read_text()
    listed = re.search(r'const SHELL = \[(.*?)\];', source, re.S)
    assert listed is not None
    shell = set(re.findall(r"'([^']+)'", listed.group(1)))
    files = {p.relative_to(WEB_ROOT).as_posix() for p in WEB_ROOT.rglob('*') if p.is_file()}
    phone = {f for f in files if not f.startswith(('admin/', 'shared/'))}
    sources = [(WEB_ROOT / f).read_text() for f in phone if f.endswith(('.html', '.js', '.css'))]
    shared = {f for f in files if f.startswith('shared/') and any(f'shared/{f[7:]}' in text for text in sources)}
    assert shell == ((phone | shared) - {'sw.js'}) | {'./'}
