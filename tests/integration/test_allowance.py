"""Day close, month close and the finance export on moto, with a small OPD worked by hand.

January 2026 with 1 January a national holiday: 21 working days on the 5-day template (2, 5–9, 12–16,
19–23, 26–30 January). PAGU Rp4.000.000 gives K_BASE Rp2.400.000 and D_BASE Rp1.600.000 (1 % = Rp16.000).
Every PNS has a performance score of 100 % imported for January (tests/integration/test_scores.py covers other
scores and a missing one).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.domain.tpp.records import BOM, CSV_COLUMNS
from chalicelib.events.jobs import JOBS
from chalicelib.services import allowance
from chalicelib.settings import get_settings
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
JANUARY = [date(2026, 1, d) for d in range(1, 32)]
PREFIX = 'exports/tpp/2026-01/'


@dataclass
class Office:
    hx: Harness
    late: str  # 45 minutes late on 12 January
    absent: str  # no punch on 14 January
    nurse: str  # Puskesmas, 6-day week, always on time
    tkk: str  # no rule profile in force


def _created(reply: Any) -> dict[str, Any]:
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _punch(employee_id: str, opd_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, opd_id, day, hhmm, ZONE)


@pytest.fixture
def office(hx: Harness) -> Office:
    # Given a WIB pemda with a dinas and a Puskesmas, three PNS, one TKK, and 1 January as a holiday
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    _created(hx.call('POST', '/v1/opds', key, opd_body('DISKOMINFO', zone=ZONE)))
    _created(hx.call('POST', '/v1/opds', key, opd_body('PKM-KOTA', kind='puskesmas', zone=ZONE)))
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru 2026 Masehi', 'kind': 'national'}
    _created(hx.call('POST', '/v1/holidays', key, holiday))
    late = _created(hx.call('POST', '/v1/employees', key, employee_body('DISKOMINFO', 1)))['employee_id']
    absent = _created(hx.call('POST', '/v1/employees', key, employee_body('DISKOMINFO', 2)))['employee_id']
    nurse_body = employee_body('PKM-KOTA', 3, jabatan='Perawat Terampil', tpp_ceiling=3_250_000)
    nurse = _created(hx.call('POST', '/v1/employees', key, nurse_body))['employee_id']
    tkk_body = {**employee_body('DISKOMINFO', 4, employee_type='TKK', nik='3330014101900001'), 'nip': None}
    tkk = _created(hx.call('POST', '/v1/employees', key, tkk_body))['employee_id']
    scores = {'scores': [{'employee_id': e, 'score': 100} for e in (late, absent, nurse)]}
    assert hx.call('PUT', '/v1/scores/2026-01', key, scores).status == 200
    # And phone punches at 07:20 and 16:35 on every weekday and Saturday, but for the two exceptions
    punches = []
    for day in (d for d in JANUARY if d.weekday() < 6):
        for employee_id, opd_id in ((late, 'DISKOMINFO'), (absent, 'DISKOMINFO'), (nurse, 'PKM-KOTA'),
                                    (tkk, 'DISKOMINFO')):  # fmt: skip
            if (employee_id, day) == (absent, date(2026, 1, 14)):
                continue
            arrival = '08:15' if (employee_id, day) == (late, date(2026, 1, 12)) else '07:20'
            punches += [_punch(employee_id, opd_id, day, arrival), _punch(employee_id, opd_id, day, '16:35')]
    DynamoPunchLedger().record(punches)
    return Office(hx, late, absent, nurse, tkk)


def _close_january() -> None:
    report = allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    # 21 five-day working days for two PNS, 26 six-day ones for the nurse; the TKK has no profile in force
    assert (report.owed, report.written, report.no_profile) == (21 * 2 + 26, 21 * 2 + 26, 31)


def _day(employee_id: str, day: date) -> Any:
    return get_books().records.days([(employee_id, day)])[(employee_id, day)].day


def _table() -> dict[tuple[str, str], str]:
    return {(i.pk, i.sk): i.body for i in AllowanceItem.scan()}


def _objects() -> dict[str, bytes]:
    s3, bucket = boto3_client('s3'), get_settings().bucket(names.BUCKET_EXPORTS)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX).get('Contents', [])
    return {o['Key']: s3.get_object(Bucket=bucket, Key=o['Key'])['Body'].read() for o in listed}


def _rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(BOM.encode())
    return list(csv.DictReader(io.StringIO(body.decode('utf-8-sig'), newline='')))


def test_day_close_gives_the_worked_codes_and_explanations(office: Office) -> None:
    # When every day of January is closed
    _close_january()
    # Then 45 minutes late on 12 January is TL2 (1 %), the missing 14 January is TK (5 %)
    late = _day(office.late, date(2026, 1, 12))
    assert (late.codes, late.minutes_late, late.deduction) == (('TL2',), 45, 100)
    assert late.explanation == 'Terlambat 45 menit (TL2): potongan 1,00%'
    absent = _day(office.absent, date(2026, 1, 14))
    assert (absent.codes, absent.deduction, absent.first_in) == (('TK',), 500, None)
    # And an on-time day is H with local times; the nurse's Saturday is a working day, the holiday is not
    on_time = _day(office.late, date(2026, 1, 13))
    assert (on_time.codes, on_time.first_in, on_time.last_out) == (
        ('H',), datetime(2026, 1, 13, 7, 20), datetime(2026, 1, 13, 16, 35),
    )  # fmt: skip
    assert _day(office.nurse, date(2026, 1, 3)).codes == ('H',)
    assert get_books().records.days([(office.late, date(2026, 1, 1)), (office.tkk, date(2026, 1, 5))]) == {}


def test_re_running_the_day_close_changes_nothing(office: Office) -> None:
    # Given a closed January
    _close_january()
    before = _table()
    # When 12 January is closed again through the job, and the whole month once more
    again = JOBS['close-day'].run(date='2026-01-12')
    report = allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    # Then nothing is written and every item is as it was
    assert (again['owed'], again['written'], again['unchanged']) == (3, 0, 3)
    assert (report.written, report.removed) == (0, 0)
    assert _table() == before


def test_a_holiday_declared_after_the_close_removes_that_day_on_re_close(office: Office) -> None:
    # Given a closed January, then 2 January declared cuti bersama
    _close_january()
    holiday = {'day': '2026-01-02', 'name': 'Cuti bersama Tahun Baru', 'kind': 'cuti_bersama'}
    _created(office.hx.call('POST', '/v1/holidays', office.hx.super_key, holiday))
    # When 2 January is closed again
    report = allowance.close_day(get_deps(), get_books(), date(2026, 1, 2))
    # Then the day records of the weekly staff are gone: it is no longer a working day for them
    assert (report.owed, report.removed) == (0, 3)


def test_month_close_and_export_then_a_late_punch_makes_revision_two_beside_one(office: Office) -> None:
    deps, books = get_deps(), get_books()
    _close_january()
    # When January is closed and exported
    first = JOBS['close-month'].run(date='2026-01')
    exported = JOBS['export-tpp'].run(date='2026-01-31')
    # Then revision 1 holds three PNS (the TKK has no profile) and seven files are written (a CSV and its XLSX
    # per OPD and for the pemda, and the manifest)
    assert (first['revision'], first['changed'], first['employees']) == (1, True, 3)
    assert (exported['revision'], exported['files'], exported['written']) == (1, 7, 7)
    rev1 = _objects()
    assert sorted(rev1) == [PREFIX + f'rev-001/{n}' for n in ('DISKOMINFO.csv', 'DISKOMINFO.xlsx', 'PKM-KOTA.csv',
                                                              'PKM-KOTA.xlsx', 'manifest.json', 'pemda.csv',
                                                              'pemda.xlsx')]  # fmt: skip
    rows = {r['NIP']: r for r in _rows(rev1[PREFIX + 'rev-001/pemda.csv'])}
    assert list(next(iter(rows.values()))) == list(CSV_COLUMNS)
    late = rows['198503012010011001']
    # 2.400.000 × 100 % + 1.600.000 − 1 % × 1.600.000 = 3.984.000
    assert (late['pagu'], late['bagian kinerja'], late['skor'], late['bagian kehadiran']) == (
        '4000000', '2400000', '100', '1600000',
    )  # fmt: skip
    assert (late['potongan %'], late['potongan (Rp)'], late['rincian'], late['TPP bruto']) == (
        '1.00', '16000', 'TL2×1', '3984000',
    )  # fmt: skip
    absent = rows['198503012010011002']
    assert (absent['potongan %'], absent['rincian'], absent['TPP bruto']) == ('5.00', 'TK×1', '3920000')
    assert (rows['198503012010011003']['OPD'], rows['198503012010011003']['TPP bruto']) == ('PKM-KOTA', '3250000')
    listing = json.loads(rev1[PREFIX + 'rev-001/manifest.json'])
    assert {f['name']: f['sha256'] for f in listing['files']} == {
        k.rsplit('/', 1)[1]: hashlib.sha256(v).hexdigest() for k, v in rev1.items() if not k.endswith('.json')
    }
    assert _rows(rev1[PREFIX + 'rev-001/DISKOMINFO.csv'])[0]['NIP'] == '198503012010011001'

    # When the month is closed and exported again with nothing changed
    second = allowance.close_month(deps, books, '2026-01')
    again = allowance.export_month(deps, books, '2026-01')
    # Then there is no new revision and the files are byte-identical
    assert (second['revision'], second['changed'], again['written']) == (1, False, 0)
    assert _objects() == rev1

    # When a bridge delivers the absent employee's 14 January punches late (07:45, 16:10) and the day is re-closed
    DynamoPunchLedger().record([_punch(office.absent, 'DISKOMINFO', date(2026, 1, 14), t) for t in ('07:45', '16:10')])
    reclosed = allowance.close_day(deps, books, date(2026, 1, 14))
    # Then exactly that employee-day changes: TK becomes TL1 (15 minutes, 0,5 %)
    assert (reclosed.written, reclosed.unchanged) == (1, 2)
    assert _day(office.absent, date(2026, 1, 14)).codes == ('TL1',)
    # And the month close makes revision 2, exported beside revision 1, which is untouched
    third = allowance.close_month(deps, books, '2026-01')
    assert (third['revision'], third['changed']) == (2, True)
    assert allowance.export_month(deps, books, '2026-01')['written'] == 7
    both = _objects()
    assert {k: v for k, v in both.items() if '/rev-001/' in k} == rev1
    rev2 = {r['NIP']: r for r in _rows(both[PREFIX + 'rev-002/pemda.csv'])}
    # 2.400.000 + 1.600.000 − 0,5 % × 1.600.000 = 3.992.000; the other rows are as in revision 1
    assert (rev2['198503012010011002']['rincian'], rev2['198503012010011002']['TPP bruto']) == ('TL1×1', '3992000')
    assert {n: r for n, r in rev2.items() if n != '198503012010011002'} == {
        n: r for n, r in rows.items() if n != '198503012010011002'
    }

    # And finance can list both revisions with download links, while an OPD admin is refused
    finance = office.hx.make_key('finance')
    listed = office.hx.call('GET', '/v1/exports?month=2026-01', finance)
    assert listed.status == 200, listed.body
    assert [(i['revision'], i['exported'], len(i['files'])) for i in listed.body['items']] == [
        (1, True, 7),
        (2, True, 7),
    ]
    link = listed.body['items'][1]['files'][0]
    assert link['key'] in link['url'] and 'Signature' in link['url']
    admin = office.hx.make_key('opd_admin', 'DISKOMINFO')
    assert office.hx.call('GET', '/v1/exports?month=2026-01', admin).status == 403
    bad = office.hx.call('GET', '/v1/exports?month=2026-13', finance)
    assert (bad.status, bad.body['error']['code']) == (422, 'validation_failed')


def test_exporting_a_month_that_was_never_closed_is_not_found(office: Office) -> None:
    with pytest.raises(Exception, match='has not been closed'):
        allowance.export_month(get_deps(), get_books(), '2026-02')


def test_the_jobs_default_to_yesterday_and_last_month_in_the_pemda_zone(office: Office) -> None:
    # Given 00:30 WIB on 1 February 2026 (17:30 UTC on 31 January)
    deps = get_deps()
    clocked = type(deps)(deps.store, deps.audit_log, deps.ledger, lambda: datetime(2026, 1, 31, 17, 30, tzinfo=UTC),
                         deps.random_bytes)  # fmt: skip
    # Then the day to close is 31 January and the month January
    assert allowance.day_to_close(clocked, None) == date(2026, 1, 31)
    assert allowance.month_to_close(clocked, None) == '2026-01'


def test_a_manipulation_confirmed_in_review_zeroes_the_attendance_part_of_that_month(office: Office) -> None:
    # Given January closed, and a check-in of the late employee rejected in review as manipulation
    from chalicelib.ports import Create, Record
    from chalicelib.services import checkins

    deps = get_deps()
    _close_january()
    manipulation = {'employee_id': office.late, 'month': '2026-01', 'checkin_id': 'chk-x', 'confirmed_by': 'k-admin',
                    'reason': 'foto dari layar ponsel lain', 'at': '2026-01-20T01:00:00+00:00'}  # fmt: skip
    record = Record(checkins.KIND_MANIPULATION, f'{office.late}@2026-01', manipulation, list_key='2026-01#x')
    deps.store.commit([Create(record, 'exists')], None)
    # When the month is closed and exported
    JOBS['close-month'].run(date='2026-01')
    JOBS['export-tpp'].run(date='2026-01-31')
    # Then that employee keeps the performance part only; the others are untouched
    rows = {r['NIP']: r for r in _rows(_objects()[PREFIX + 'rev-001/pemda.csv'])}
    late, absent = rows['198503012010011001'], rows['198503012010011002']
    assert (late['bagian kinerja'], late['potongan (Rp)'], late['TPP bruto']) == ('2400000', '1600000', '2400000')
    assert absent['TPP bruto'] == '3920000'
