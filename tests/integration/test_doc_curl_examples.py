"""Every curl example in README.md and docs/*.md, run as written against the local server (issue 13 item 5), and
`hadir job --help`'s list of jobs.

Each ```sh / ```bash block that calls curl runs in bash, in order, against the app and web server of `make run`
started in this process on the seeded demo pemda (moto in memory): the block's own lines, with the documented
`http://127.0.0.1:8000` pointed at this server, `$API` set to it, `$SUPER`, `$SUPER_KEY` and `$KEY` a super key,
`$OPD_ADMIN` an OPD admin's key, `.hadir-local/admin-key.txt` holding the super key, and the files the examples
upload lying beside it. A curl wrapper reports each answer's status. Every example must be answered (no 5xx, no
connection failure) and authenticated (no 401: the header is `X-API-Key`, never `Authorization: Bearer`); a 4xx
for an id the docs make up (`emp-7qx2`, the RSUD of another pemda) is the API doing its job.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]
DOCUMENTED_BASE = 'http://127.0.0.1:8000'
FENCE = re.compile(r'^```(sh|bash|shell)\n(.*?)^```', re.MULTILINE | re.DOTALL)
CURL_CALL = re.compile(r'(?:^|[\s;|(])curl\s')
STATUS = re.compile(r'^@@status (\d{3}) (\S+) (\S+)$', re.MULTILINE)
PUBLIC_PATHS = ('/v1/health', '/v1/openapi.json')
# Each curl writes its status to stderr, after whatever the example does with its output (jq, a file).
WRAPPER = (
    'curl() { command curl --max-time 120 -w \'%{stderr}@@status %{http_code} %{method} %{url_effective}\\n\' "$@"; }\n'
)


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    script: str

    @property
    def calls(self) -> int:
        return len(_commands(self.script))


def _examples() -> list[Example]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding='utf-8')
        for block in FENCE.finditer(text):
            script = block.group(2)
            if any(CURL_CALL.search(line) for line in script.splitlines() if not line.lstrip().startswith('#')):
                line = text.count('\n', 0, block.start()) + 1
                found.append(Example(doc.relative_to(ROOT).as_posix(), line, script))
    return found


EXAMPLES = _examples()


def _commands(script: str) -> list[str]:
    """The curl commands of a block, each with its continuation lines (a trailing backslash, or a quoted body
    that runs over several lines) joined."""
    commands, current, quotes = [], '', 0
    for line in script.splitlines():
        if not current and (not CURL_CALL.search(line) or line.lstrip().startswith('#')):
            continue
        current += line + '\n'
        quotes += line.count("'")
        if not line.rstrip().endswith('\\') and quotes % 2 == 0:
            commands.append(current)
            current, quotes = '', 0
    return commands


@dataclass(frozen=True)
class Stack:
    url: str
    workdir: Path
    env: dict[str, str]


def _upload_files(workdir: Path) -> None:
    """The files the examples send, in the shapes the docs describe (their contents may be refused: a 4xx)."""
    header = 'nip,nik,nama,jenis,opd_id,jabatan,kelas_jabatan,pagu_tpp\n'
    (workdir / 'pegawai.csv').write_text(header, encoding='utf-8')
    book = openpyxl.Workbook()
    book.active.append(header.strip().split(','))  # type: ignore[union-attr]
    xlsx = io.BytesIO()
    book.save(xlsx)
    (workdir / 'pegawai.xlsx').write_bytes(xlsx.getvalue())
    (workdir / 'capaian-kinerja-januari.csv').write_text('NIP,Nilai\n', encoding='utf-8')


@pytest.fixture(scope='module')
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from chalicelib.adapters.clients import reset_clients
    from chalicelib.adapters.dynamodb.tables import ensure_tables
    from chalicelib.wiring import get_deps
    from hadir_local.seed import seed_demo
    from hadir_local.snapshot import ensure_buckets, ensure_queues
    from hadir_local.web_server import WEB_ROOT, create_server

    workdir = tmp_path_factory.mktemp('doc-curl')
    with mock_aws():
        ensure_tables()
        ensure_buckets()
        ensure_queues()
        get_deps.cache_clear()
        reset_clients()
        summary = seed_demo(get_deps())
        (workdir / '.hadir-local').mkdir()
        (workdir / '.hadir-local' / 'admin-key.txt').write_text(summary.admin_token + '\n')
        _upload_files(workdir)
        from app import app

        server = create_server(app, 0, WEB_ROOT)
        thread = threading.Thread(target=server.server.serve_forever, name='doc-curl-server', daemon=True)
        thread.start()
        super_key, opd_admin = summary.admin_token, sorted(summary.opd_admin_tokens.items())[0][1]
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(('HADIR_', 'AWS_'))},
               'API': server.url, 'SUPER': super_key, 'SUPER_KEY': super_key, 'KEY': super_key,
               'OPD_ADMIN': opd_admin}  # fmt: skip
        try:
            yield Stack(server.url, workdir, env)
        finally:
            server.shutdown()
            server.server.server_close()
            thread.join(timeout=10)
    get_deps.cache_clear()


def test_the_docs_have_curl_examples_and_each_names_its_key_in_x_api_key() -> None:
    # Given every curl command of the docs; Then none authenticates with a bearer token, and each that calls
    # a route needing a key sends it as X-API-Key
    commands = [(e.doc, c) for e in EXAMPLES for c in _commands(e.script)]
    assert {e.doc for e in EXAMPLES} >= {'README.md', 'docs/allowance.md', 'docs/profiles.md', 'docs/schedules.md'}
    assert len(commands) >= 30
    bearer = [(doc, c) for doc, c in commands if re.search(r'authorization\s*:\s*bearer', c, re.IGNORECASE)]
    assert bearer == []
    keyless = [(doc, c) for doc, c in commands
               if '/v1/' in c and not any(p in c for p in PUBLIC_PATHS) and 'X-API-Key:' not in c]  # fmt: skip
    assert keyless == []


@pytest.mark.parametrize('example', EXAMPLES, ids=[f'{e.doc}:{e.line}' for e in EXAMPLES])
def test_each_curl_example_is_answered_and_authenticated(stack: Stack, example: Example) -> None:
    # Given the block as the docs print it, pointed at this server; When bash runs it
    script = WRAPPER + example.script.replace(DOCUMENTED_BASE, stack.url)
    done = subprocess.run(['bash', '-c', script], cwd=stack.workdir, env=stack.env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    answers = STATUS.findall(done.stderr)
    # Then every curl in it reached the server, and none was refused for its key or failed on the server's side
    where = f'{example.doc}:{example.line}\n{done.stderr[-2000:]}'
    assert len(answers) == example.calls, where
    failed = [(code, method, url) for code, method, url in answers if code == '000' or code >= '500' or code == '401']
    assert failed == [], where


def test_hadir_job_help_lists_every_job_on_a_line_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.events.jobs import JOBS
    from hadir_local import cli

    # When a newcomer asks the CLI for its jobs (the README sends them there)
    with pytest.raises(SystemExit):
        cli.main(['job', '--help'])
    listing = [line for line in capsys.readouterr().out.split('jobs:\n', 1)[1].splitlines() if line.strip()]
    # Then each job has one line: its name, then what it does
    assert [line.split()[0] for line in listing] == list(JOBS)
    assert all(len(line.split(maxsplit=1)) == 2 for line in listing)
