"""The review flow end to end, in money (issue 10): a check-in the face engine flagged is shown in the console's
Tinjauan with both photos, rejected as manipulation in the browser, and once the day and the month are closed the
employee's attendance part is 0 in finance's CSV and XLSX (read back with openpyxl: the NIP a text cell equal to
the CSV's), while a colleague's is not. Screenshots: tests/browser/artifacts/console-review-money-*.png."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from playwright.sync_api import Browser, expect

from tests.browser.console_support import (  # noqa: F401 - console_pemda is a fixture
    OPD_A,
    ConsolePemda,
    console_pemda,
    console_shot,
    go,
    open_console,
    settle,
    signed_in,
)

REASON = 'Foto dari layar ponsel lain'


def _close_and_export(pemda: ConsolePemda) -> tuple[list[dict[str, str]], Any]:
    """Close today, then the month, and export it: the services the nightly and monthly jobs run."""
    from chalicelib.domain.tpp.finance_xlsx import SHEET_ROWS
    from chalicelib.services import allowance
    from chalicelib.wiring import get_books, get_deps

    month = f'{pemda.today:%Y-%m}'
    allowance.close_days(get_deps(), get_books(), pemda.today, pemda.today)
    closed = allowance.close_month(get_deps(), get_books(), month)
    assert closed.get('revision') == 1, closed
    allowance.export_month(get_deps(), get_books(), month)
    books = get_books()
    head = [r for r in books.records.revisions(month) if r.complete][-1]
    bodies = {f.name: books.files.get(f.key) for f in head.files}
    rows = list(csv.DictReader(io.StringIO(bodies[f'{OPD_A}.csv'].decode('utf-8-sig'), newline='')))
    return rows, openpyxl.load_workbook(io.BytesIO(bodies[f'{OPD_A}.xlsx']))[SHEET_ROWS]


def test_a_check_in_rejected_as_manipulation_in_the_browser_pays_no_attendance_part(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
) -> None:
    pemda = console_pemda
    # Given Ani's check-in of today, flagged by the face engine (88%), in DIKES's admin's queue
    page = signed_in(open_console(browser), pemda, pemda.keys['opd_admin'], 'tinjauan')
    item = page.locator(f'[data-checkin="{pemda.flagged_checkin}"]')
    expect(item).to_contain_text('Ani Lestari')
    # Then it shows both photos, really loaded: the selfie and the enrolled face
    expect(item.locator('img')).to_have_count(2)
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('[data-checkin="{pemda.flagged_checkin}"] img')]
                 .every(i => i.complete && i.naturalWidth > 0)"""
    )
    console_shot(page, 'review-money-flagged')
    # When the admin rejects it as manipulation, with the reason
    item.get_by_role('button', name='Tolak: manipulasi').click()
    dialog = page.locator('dialog')
    dialog.get_by_label('Alasan').fill(REASON)
    console_shot(page, 'review-money-dialog')
    dialog.get_by_role('button', name='Tolak: manipulasi').click()
    expect(item).to_have_count(0)
    console_shot(page, 'review-money-rejected')
    settle(page)
    rejected = pemda.call('GET', f'/v1/checkins/review?opd={OPD_A}&state=rejected').body['items']
    assert [(c['checkin_id'], c['review_reason']) for c in rejected] == [(pemda.flagged_checkin, REASON)]

    # And the month's performance scores are in (100 each), the day close and the month close run, and the month
    # is exported for finance
    month = f'{pemda.today:%Y-%m}'
    scores = {'scores': [{'employee_id': pemda.employees[n], 'score': 100} for n in ('Ani', 'Budi', 'Citra', 'Dedi')]}
    assert pemda.call('PUT', f'/v1/scores/{month}', body=scores).status == 200
    rows, sheet = _close_and_export(pemda)

    # Then in the CSV Ani's attendance part is all deducted (the manipulation, MNP): her TPP is the performance
    # part alone; Budi, on time today, keeps most of his
    by_nip = {r['NIP']: r for r in rows}
    ani, budi = by_nip[pemda.nips['Ani']], by_nip[pemda.nips['Budi']]
    assert int(ani['bagian kehadiran']) > 0, ani
    assert ani['potongan (Rp)'] == ani['bagian kehadiran'], ani
    assert int(ani['TPP bruto']) - int(ani['bagian kinerja']) == 0, ani
    assert int(budi['TPP bruto']) - int(budi['bagian kinerja']) > 0, budi
    assert 'MNP' in ani['rincian'], ani
    # And in the XLSX: the NIP is a text cell equal to the CSV's, the same money as numbers
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) for name in ('NIP', 'bagian kehadiran', 'potongan (Rp)', 'TPP bruto',
                                                 'bagian kinerja')}  # fmt: skip
    cells = {row[col['NIP']].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == set(by_nip)
    for nip, row in cells.items():
        assert (row[col['NIP']].data_type, row[col['NIP']].value) == ('s', by_nip[nip]['NIP'])
        for name in ('bagian kehadiran', 'potongan (Rp)', 'TPP bruto', 'bagian kinerja'):
            assert (row[col[name]].data_type, row[col[name]].value) == ('n', int(by_nip[nip][name])), (nip, name)
    ani_row = cells[pemda.nips['Ani']]
    assert ani_row[col['TPP bruto']].value - ani_row[col['bagian kinerja']].value == 0

    # And finance sees the month's files in Keuangan
    finance = signed_in(open_console(browser), pemda, pemda.keys['finance'])
    go(finance, 'keuangan')
    finance.get_by_label('Bulan TPP').fill(month)  # it opens on last month
    finance.get_by_label('Bulan TPP').dispatch_event('change')
    expect(finance.locator('#screen .screen-pane')).to_contain_text(f'{OPD_A}.xlsx')
    console_shot(finance, 'review-money-keuangan', full_page=True)
