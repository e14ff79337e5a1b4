"""The console's two heaviest screens for an OPD of 1,000 employees, on `make run`'s stack: the today board
(Hari ini, ``GET /v1/opds/{opd}/today``) and the month grid (Rekap bulanan, ``GET /v1/opds/{opd}/days``).

The stack is built in this process as `hadir run` builds it: moto in server mode on a free loopback port
(its own HADIR_LOCAL_DIR in a temporary folder) and the local web server (``hadir_local.web_server``) with the
whole app and web/ on another. Seeded quickly: the directory through the use cases staged in memory and landed
in batch writes (``hadir_local.seed_store``), an every-day 07.30-16.00 template for the OPD (so any weekday has
a board), today's punches (most on time, some late, some none) and last month's day records (the month the
grid opens on).

Timed, in the same run: ``GET /v1/health`` (the floor: one request through the same server), each screen's
JSON (request to last byte), and each screen in Chromium (Playwright: the hash set to the screen, until its
table has its rows). Figures are medians of BENCH_CONSOLE_RUNS after one warm-up. The goal (issue 10): the
page is usable within 2 s on this 2-core machine.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

RESULTS = Path(__file__).parent / 'results'
EMPLOYEES = int(os.environ.get('BENCH_CONSOLE_EMPLOYEES', '1000'))
RUNS = int(os.environ.get('BENCH_CONSOLE_RUNS', '3'))
GOAL_SECONDS = 2.0
OPD_ID, ZONE = 'DINAS-BESAR', 'Asia/Makassar'
TEMPLATE = 'SETIAP'
CHROMIUM = Path('/usr/bin/chromium')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def main() -> dict[str, Any]:
    local_dir = tempfile.mkdtemp(prefix='hadir-bench-console-')
    os.environ['HADIR_LOCAL_DIR'] = local_dir
    aws_port, api_port = _free_port(), _free_port()
    from hadir_local import env

    env.configure(aws_port)
    os.environ['POWERTOOLS_LOG_LEVEL'] = 'ERROR'
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    if os.environ.get('BENCH_CONSOLE_GENERIC_MOTO') != '1':  # `hadir run` installs it; 1 measures without
        from hadir_local import fast_dynamodb

        fast_dynamodb.install()
    aws = ThreadedMotoServer(ip_address='127.0.0.1', port=aws_port, verbose=False)
    aws.start()
    try:
        result = _run(aws_port, api_port)
    finally:
        aws.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'console.json').write_text(json.dumps(result, indent=2) + '\n')
    today, grid = result['today'], result['grid']
    print(
        f"console: OPD of {result['employees']} on make run's stack; health {result['health_ms']} ms; "
        f'Hari ini JSON {today["json_ms"]} ms ({today["json_ratio"]}x health), page {today["page_ms"]} ms; '
        f'Rekap {result["month"]} JSON {grid["json_ms"]} ms ({grid["json_ratio"]}x health, '
        f'{grid["json_bytes"] // 1024} KB; a page of 50: {grid["first_page_json_ms"]} ms, '
        f'{grid["first_page_json_bytes"] // 1024} KB), page {grid["page_ms"]} ms; '
        f'goal {GOAL_SECONDS:.0f} s: {"met" if result["goal_met"] else "NOT met"}'
    )
    return result


def _run(aws_port: int, api_port: int) -> dict[str, Any]:
    from chalicelib.adapters.dynamodb.tables import ensure_tables
    from hadir_local import snapshot

    ensure_tables()
    snapshot.ensure_buckets()
    snapshot.ensure_queues()
    started = clock.perf_counter()
    seeded = _seed()
    seed_seconds = round(clock.perf_counter() - started, 1)

    from app import app
    from hadir_local.web_server import WEB_ROOT, create_server

    server = create_server(app, api_port, WEB_ROOT, image_origins=(f'http://127.0.0.1:{aws_port}',))
    thread = threading.Thread(target=server.server.serve_forever, name='bench-web', daemon=True)
    thread.start()
    try:
        return _measure(server.url, seeded, seed_seconds)
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)


def _seed() -> dict[str, Any]:
    """The OPD, its schedule and staff through the use cases (staged, then landed), today's punches and last
    month's closed days by batch writes. Returns the key and the month."""
    from chalicelib.domain.api_keys import parse_token
    from chalicelib.domain.models import Principal, Role
    from chalicelib.services import directory, keys, schedules
    from chalicelib.wiring import get_books, get_deps
    from hadir_local import seed_store
    from tests.integration.builders import nip

    target = get_deps()
    deps, staged = seed_store.staging(target)
    token = keys.bootstrap_super_key(deps, 'bench super')
    parsed = parse_token(token)
    assert parsed is not None
    admin = Principal(key_id=parsed[0], role=Role.SUPER)
    directory.create_opd(deps, admin, {'opd_id': OPD_ID, 'name': 'Dinas Besar', 'kind': 'dinas', 'zone': ZONE})
    today = datetime.now(ZoneInfo(ZONE)).date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    first = last_month_end.replace(day=1)
    week = [{'weekday': d, 'start': '07:30', 'end': '16:00'} for d in range(7)]
    schedules.create_template(deps, admin, {'code': TEMPLATE, 'name': 'Setiap hari', 'days': week})
    schedules.create_assignment(deps, admin, {'opd_id': OPD_ID, 'template_code': TEMPLATE,
                                              'valid_from': first.isoformat()})  # fmt: skip
    admin_key = keys.create_key(deps, admin, {'name': 'Admin Dinas Besar', 'role': 'opd_admin', 'opd_id': OPD_ID})
    staff = []
    for n in range(1, EMPLOYEES + 1):
        body = {'nip': nip(n), 'name': f'Pegawai {n:04d}', 'employee_type': 'PNS',
                'opd_id': OPD_ID, 'jabatan': 'Analis', 'kelas_jabatan': 7, 'tpp_ceiling': 4_000_000}  # fmt: skip
        staff.append(directory.create_employee(deps, admin, body)['employee_id'])
    seed_store.land(target, staged)
    _punch_today(target, staff, today)
    _close_last_month(get_books(), staff, first, last_month_end)
    return {'key': admin_key['token'], 'super': token, 'month': f'{first:%Y-%m}', 'today': today.isoformat()}


def _punch_today(deps: Any, staff: list[str], today: date) -> None:
    """Nine in ten have punched in (one in five of them late), a third of those also out already."""
    from tests.integration.builders import phone_punch

    punches = []
    for n, employee_id in enumerate(staff):
        if n % 10 == 9:
            continue
        punches.append(phone_punch(employee_id, OPD_ID, today, '07:50' if n % 5 == 0 else '07:15', ZONE))
        if n % 3 == 0:
            punches.append(phone_punch(employee_id, OPD_ID, today, '16:05', ZONE))
    deps.ledger.record(punches)


def _close_last_month(books: Any, staff: list[str], first: date, last: date) -> None:
    """A day record per employee and date, as the day close writes them (item and day sheet)."""
    from chalicelib.domain.tpp.day import DayCategory, DayResult
    from chalicelib.domain.tpp.records import DayRecord

    records = []
    day = first
    while day <= last:
        for n, employee_id in enumerate(staff):
            late = 12 if (n + day.day) % 7 == 0 else 0
            absent = (n + day.day) % 29 == 0
            result = DayResult(
                local_date=day, shift_code=TEMPLATE,
                category=DayCategory.ABSENT if absent else DayCategory.PRESENT,
                codes=('TK',) if absent else (('TL1',) if late else ('H',)),
                first_in=None if absent else datetime.combine(day, time(7, 18 + late)),
                last_out=None if absent else datetime.combine(day, time(16, 4)),
                minutes_late=late, deduction=300 if absent else (50 if late else 0),
                deduction_before_cap=300 if absent else (50 if late else 0),
                explanation='Tanpa keterangan (TK): potongan 3%' if absent
                else (f'Terlambat {late} menit (TL1): potongan 0,5%' if late else 'Hadir tepat waktu'),
            )  # fmt: skip
            records.append(DayRecord(employee_id=employee_id, opd_id=OPD_ID, profile_id='asn-default',
                                     profile_version=1, day=result))  # fmt: skip
        day += timedelta(days=1)
    books.records.put_days(records)


def _median_ms(call: Callable[[], Any]) -> tuple[float, Any]:
    answer = call()  # warm-up (imports, caches, the page's modules)
    seconds = []
    for _ in range(RUNS):
        started = clock.perf_counter()
        answer = call()
        seconds.append(clock.perf_counter() - started)
    return round(statistics.median(seconds) * 1000, 1), answer


def _measure(url: str, seeded: dict[str, Any], seed_seconds: float) -> dict[str, Any]:
    import requests

    session = requests.Session()
    headers = {'X-API-Key': seeded['key']}

    def get(path: str) -> Callable[[], requests.Response]:
        def call() -> requests.Response:
            reply = session.get(url + path, headers=headers, timeout=120)
            assert reply.status_code == 200, (path, reply.status_code, reply.text[:500])
            _ = reply.content
            return reply

        return call

    health_ms, _ = _median_ms(get('/v1/health'))
    today_ms, today_reply = _median_ms(get(f'/v1/opds/{OPD_ID}/today'))
    grid_ms, grid_reply = _median_ms(get(f'/v1/opds/{OPD_ID}/days?month={seeded["month"]}'))
    first_ms, first_reply = _median_ms(get(f'/v1/opds/{OPD_ID}/days?month={seeded["month"]}&offset=0&size=50'))
    board = today_reply.json()
    grid = grid_reply.json()
    assert board['counts']['total'] == EMPLOYEES, board['counts']
    assert grid['count'] == EMPLOYEES and all(len(i['days']) == len(grid['dates']) for i in grid['items'])
    pages = _pages(url, seeded)
    today_page, grid_page = pages['hari-ini'], pages['rekap']
    goal_met = max(today_page, grid_page) <= GOAL_SECONDS * 1000
    return {
        'benchmark': 'console',
        'employees': EMPLOYEES,
        'opd': OPD_ID,
        'month': seeded['month'],
        'runs': RUNS,
        'seed_seconds': seed_seconds,
        'cpus': os.cpu_count(),
        'health_ms': health_ms,
        'today': {
            'json_ms': today_ms,
            'json_bytes': len(today_reply.content),
            'json_ratio': round(today_ms / health_ms, 1),
            'page_ms': today_page,
            'counts': board['counts'],
        },  # fmt: skip
        'grid': {
            'json_ms': grid_ms,
            'json_bytes': len(grid_reply.content),
            'json_ratio': round(grid_ms / health_ms, 1),
            'page_ms': grid_page,
            'first_page_json_ms': first_ms,  # what the Rekap screen asks: 50 employees
            'first_page_json_bytes': len(first_reply.content),
            'cells': sum(len(i['days']) for i in grid['items']),
        },  # fmt: skip
        'goal_seconds': GOAL_SECONDS,
        'goal_met': goal_met,
        'python': sys.version.split()[0],
        'moto_item_reads': 'generic' if os.environ.get('BENCH_CONSOLE_GENERIC_MOTO') == '1' else 'plain JSON',
    }


# Set the screen's hash, then wait for its table's rows; the time is the page's own (performance.now()).
_OPEN = """async ([hash, rows, expected]) => {
  const started = performance.now();
  window.location.hash = hash;
  await new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error('no rows within 60 s')), 60000);
    const check = () => {
      const pane = document.querySelector('#screen .screen-pane');
      if (pane && pane.querySelectorAll(rows).length >= expected) {
        clearTimeout(limit);
        resolve();
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  });
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));  // painted
  return performance.now() - started;
}"""


def _pages(url: str, seeded: dict[str, Any]) -> dict[str, float]:
    """Each screen opened RUNS times (after one warm-up) from another screen, in one signed-in tab."""
    from playwright.sync_api import expect, sync_playwright

    screens = {
        # The board and the grid each show 50 employees a page: the page is usable once its first page is drawn.
        'hari-ini': ('#/hari-ini', '.today-board tbody tr', min(EMPLOYEES, 50)),
        'rekap': (f'#/rekap?bulan={seeded["month"]}', '.b-grid tbody tr', min(EMPLOYEES, 50)),
    }
    found: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = browser.new_context(viewport={'width': 1366, 'height': 768}, locale='id-ID', timezone_id=ZONE)
            page = context.new_page()
            page.goto(url + '/admin/')
            page.get_by_label('Kunci API').fill(seeded['key'])
            page.get_by_role('button', name='Masuk').click()
            expect(page.locator('#nav a').first).to_be_visible()
            page.wait_for_load_state('networkidle')
            for name, (hash_, rows, expected) in screens.items():
                timings = []
                for _ in range(RUNS + 1):
                    page.evaluate('() => { window.location.hash = "#/status"; }')
                    page.wait_for_load_state('networkidle')
                    timings.append(page.evaluate(_OPEN, [hash_, rows, expected]))
                    page.wait_for_load_state('networkidle')
                found[name] = round(statistics.median(timings[1:]), 1)
        finally:
            browser.close()
    return found


if __name__ == '__main__':
    main()
