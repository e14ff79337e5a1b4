"""Hukuman disiplin decisions through the API and the month close, on moto: recorded and corrected (audited), the
overlay in every month it covers across the year end, in the finance CSV and XLSX and GET /v1/me/month.

December 2026 and January 2027 on the 5-day template (no holidays recorded), Ani on time on every weekday,
scored 100; PAGU Rp4.000.000: K_BASE 2.400.000, D_BASE 1.600.000.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.tpp.finance_xlsx import SHEET_CODES, SHEET_ROWS
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps, use_face_engine
from tests.face_fakes import FakeFaceEngine
from tests.integration.builders import audit_length, employee_body, opd_body, phone_punch
from tests.integration.test_me_month import _activate, _get
from tests.support import Harness

ZONE = 'Asia/Jakarta'
FIRST, LAST = date(2026, 12, 1), date(2027, 1, 31)
DECREE = '800.1.6/117/BKPSDM/2026'


@pytest.fixture
def ani(hx: Harness) -> Iterator[dict[str, Any]]:
    use_face_engine(FakeFaceEngine())
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    assert hx.call('POST', '/v1/opds', key, opd_body('BAPPEDA', zone=ZONE)).status == 201
    employee = hx.call('POST', '/v1/employees', key, employee_body('BAPPEDA', 1)).body
    punches = []
    day = FIRST
    while day <= LAST:
        if day.weekday() < 5:
            punches += [phone_punch(employee['employee_id'], 'BAPPEDA', day, t, ZONE) for t in ('07:20', '16:35')]
        day += timedelta(days=1)
    DynamoPunchLedger().record(punches)
    for month in ('2026-12', '2027-01'):
        body = {'scores': [{'employee_id': employee['employee_id'], 'score': 100}]}
        assert hx.call('PUT', f'/v1/scores/{month}', key, body).status == 200
    yield employee
    use_face_engine(None)


def _close(month: str) -> dict[str, Any]:
    first = date(int(month[:4]), int(month[5:]), 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    allowance.close_days(get_deps(), get_books(), first, last)
    return allowance.close_month(get_deps(), get_books(), month)


def _files(month: str) -> tuple[list[dict[str, str]], Any]:
    books = get_books()
    allowance.export_month(get_deps(), books, month)
    head = [r for r in books.records.revisions(month) if r.complete][-1]
    bodies = {f.name: books.files.get(f.key) for f in head.files}
    rows = list(csv.DictReader(io.StringIO(bodies['pemda.csv'].decode('utf-8-sig'))))
    return rows, openpyxl.load_workbook(io.BytesIO(bodies['pemda.xlsx']))


def test_a_decision_is_recorded_corrected_and_cuts_every_month_it_covers_across_the_year_end(
    hx: Harness, ani: dict[str, Any]
) -> None:
    key, path = hx.super_key, f'/v1/employees/{ani["employee_id"]}/discipline-decisions'
    audited = audit_length()
    # Given BKPSDM records a sedang decision for 12 months from January 2027 (a typo: the decree says December
    # 2026, 6 months)
    body = {'kind': 'HDS', 'decree_number': DECREE, 'decree_date': '2026-11-20', 'effective_month': '2027-01',
            'months': 12}  # fmt: skip
    wrong = hx.call('POST', path, key, body)
    assert wrong.status == 201, wrong.body
    assert (wrong.body['cut_bp'], wrong.body['first_month'], wrong.body['last_month']) == (2_500, '2027-01', '2027-12')
    # When it is corrected by a new record naming it
    fixed = {**body, 'effective_month': '2026-12', 'months': 6, 'corrects': wrong.body['decision_id']}
    right = hx.call('POST', path, key, fixed)
    assert right.status == 201, right.body
    # Then both are kept, only the correction is in force, and each was audited
    listed = hx.call('GET', path, key).body
    assert [(d['decision_id'], d['in_force']) for d in listed['items']] == [
        (wrong.body['decision_id'], False), (right.body['decision_id'], True),
    ]  # fmt: skip
    assert audit_length() == audited + 2
    # And the decision already corrected cannot be corrected again; a 7-month sedang does not fit the table
    again = hx.call('POST', path, key, {**fixed, 'months': 9})
    assert (again.status, again.body['error']['code']) == (409, 'decision_corrected')
    odd = hx.call('POST', path, key, {**body, 'months': 7})
    assert odd.status == 422 and [f['path'] for f in odd.body['error']['fields']] == ['months']

    # When December 2026 and January 2027 are closed and exported
    _close('2026-12')
    _close('2027-01')
    for month, ordinal in (('2026-12', 1), ('2027-01', 2)):
        rows, workbook = _files(month)
        # Then each month cuts 25 % × 4.000.000 = 1.000.000: TPP bruto 2.400.000 + 1.600.000 − 1.000.000 = 3.000.000
        [row] = rows
        assert (row['pagu'], row['potongan (Rp)'], row['rincian'], row['TPP bruto']) == (
            '4000000', '1000000', 'HDS', '3000000',
        )  # fmt: skip
        sheet = workbook[SHEET_ROWS]
        header = [c.value for c in sheet[1]]
        values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
        assert (values['potongan (Rp)'], values['rincian'], values['TPP bruto']) == (1_000_000, 'HDS', 3_000_000)
        legend = {r[0].value: r[1].value for r in workbook[SHEET_CODES].iter_rows(min_row=2)}
        assert legend['HDS'].startswith('Pemotongan tunjangan kinerja/TPP 25%')
        # And the month explains it, with the decree and which month of six it is
        record = get_books().records.month_record(ani['employee_id'], month, 1)
        assert record is not None
        assert record.result.notes == (
            f'Hukuman disiplin (HDS, SK {DECREE}, bulan ke-{ordinal} dari 6): potongan 25,00% dari TPP (Rp1.000.000)',
        )


def test_my_month_shows_the_decision_and_its_cut(hx: Harness, ani: dict[str, Any]) -> None:
    # Given a sedang decision from December 2026 for 6 months, and December closed
    body = {'kind': 'HDS', 'decree_number': DECREE, 'decree_date': '2026-11-20', 'effective_month': '2026-12',
            'months': 6}  # fmt: skip
    assert hx.call('POST', f'/v1/employees/{ani["employee_id"]}/discipline-decisions', hx.super_key, body).status == 201
    _close('2026-12')
    phone = _activate(hx, ani)
    # When Ani reads December on her phone
    month = _get(hx, phone, {'month': '2026-12'}).body
    # Then the decision in force and the month's cut are there
    assert month['discipline'] == [{
        'kind': 'HDS', 'name': 'Pemotongan tunjangan kinerja/TPP 25% (PP 94/2021 Pasal 8 ayat 3)',
        'decree_number': DECREE, 'decree_date': '2026-11-20', 'cut_percent': '25.00', 'first_month': '2026-12',
        'last_month': '2027-05', 'month_of': '1/6',
    }]  # fmt: skip
    assert (month['result']['discipline_cut'], month['result']['tpp_bruto'], month['result']['rincian']) == (
        1_000_000, 3_000_000, 'HDS',
    )  # fmt: skip
    # And November, before the decision, shows none
    assert _get(hx, phone, {'month': '2026-11'}).body['discipline'] == []
