"""Mid-month changes through the API and the month close, on moto: a transfer on the 16th split between the two
OPDs' finance files, a pensiun at the end of the first week, the history listed and audited.

January 2026 (1 January a holiday) on the 5-day template: 21 working days (2, 5–9, 12–16, 19–23, 26–30).
Everyone on time on every weekday, scored 100, PAGU Rp4.000.000 (K_BASE 60 %, D_BASE 40 %); the profile's
mid_month is the shipped default, WORKING_DAYS.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.tpp.finance_xlsx import SHEET_CODES
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import audit_length, employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
JANUARY = [date(2026, 1, d) for d in range(1, 32)]


def _rows(month: str) -> dict[str, list[dict[str, str]]]:
    books = get_books()
    allowance.export_month(get_deps(), books, month)
    head = [r for r in books.records.revisions(month) if r.complete][-1]
    return {
        f.name: list(csv.DictReader(io.StringIO(books.files.get(f.key).decode('utf-8-sig'))))
        for f in head.files
        if f.name.endswith('.csv')
    }


def test_a_transfer_on_the_16th_and_a_pensiun_split_the_month(hx: Harness) -> None:
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    for opd in ('DINKES', 'BAPPEDA'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}
    assert hx.call('POST', '/v1/holidays', key, holiday).status == 201
    ani, budi = (hx.call('POST', '/v1/employees', key, employee_body('DINKES', n)).body for n in (1, 2))
    # Citra is registered before her TMT, not yet active
    citra = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 3, active=False)).body
    assert citra['active'] is False, citra
    punches = [
        phone_punch(e['employee_id'], 'DINKES', day, t, ZONE)
        for day in JANUARY
        if day.weekday() < 5
        for e in (ani, budi, citra)
        for t in ('07:20', '16:35')
        if e is not citra or day >= date(2026, 1, 16)
    ]
    DynamoPunchLedger().record(punches)
    scores = {'scores': [{'employee_id': e['employee_id'], 'score': 100} for e in (ani, budi, citra)]}
    assert hx.call('PUT', '/v1/scores/2026-01', key, scores).status == 200
    # Given Ani's own schedule assignment (the 5-day template) listed under DINKES
    own = {'employee_id': ani['employee_id'], 'kind': 'WEEKLY', 'template_code': '5HK', 'valid_from': '2026-01-01'}
    assigned = hx.call('POST', '/v1/schedule-assignments', key, own)
    assert assigned.status == 201, assigned.body
    # Given the first half of January closed with both in DINKES
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[14])
    audited = audit_length()
    # When BKPSDM records Ani's transfer to BAPPEDA from the 16th and Budi's pensiun from the 10th
    mutasi = {'effective_from': '2026-01-16', 'reason': 'MUTASI', 'opd_id': 'BAPPEDA',
              'reference': '821.2/045/BKPSDM/2026'}  # fmt: skip
    moved = hx.call('POST', f'/v1/employees/{ani["employee_id"]}/changes', key, mutasi)
    assert moved.status == 201, moved.body
    pensiun = {'effective_from': '2026-01-10', 'reason': 'PENSIUN', 'active': False, 'reference': 'SK BKN 123'}
    assert hx.call('POST', f'/v1/employees/{budi["employee_id"]}/changes', key, pensiun).status == 201
    tmt = {'effective_from': '2026-01-16', 'reason': 'TMT', 'active': True, 'reference': 'SK CPNS 813/2026'}
    assert hx.call('POST', f'/v1/employees/{citra["employee_id"]}/changes', key, tmt).status == 201
    # Then the directory follows, the history is listed, and both were audited
    assert hx.call('GET', f'/v1/employees/{ani["employee_id"]}', key).body['opd_id'] == 'BAPPEDA'
    history = hx.call('GET', f'/v1/employees/{ani["employee_id"]}/changes', key).body
    assert [(c['effective_from'], c['before']['opd_id'], c['after']['opd_id']) for c in history['items']] == [
        ('2026-01-16', 'DINKES', 'BAPPEDA'),
    ]  # fmt: skip
    assert audit_length() == audited + 3
    # And Ani's own schedule assignment followed her: listed under BAPPEDA, no longer under DINKES
    listed = {o: hx.call('GET', f'/v1/opds/{o}/schedule-assignments', key).body['items'] for o in ('DINKES', 'BAPPEDA')}
    assert [a['assignment_id'] for a in listed['BAPPEDA']] == [assigned.body['assignment_id']]
    assert listed['DINKES'] == []
    # And a change dated before the latest one, or one that changes nothing, is refused
    earlier = hx.call(
        'POST',
        f'/v1/employees/{ani["employee_id"]}/changes',
        key,
        {**mutasi, 'opd_id': 'DINKES', 'effective_from': '2026-01-12'},
    )
    same = hx.call(
        'POST', f'/v1/employees/{ani["employee_id"]}/changes', key, {**mutasi, 'effective_from': '2026-01-20'}
    )
    assert (earlier.status, same.status) == (422, 422)

    # When the rest of January and the month are closed and exported
    allowance.close_days(get_deps(), get_books(), JANUARY[15], JANUARY[-1])
    allowance.close_month(get_deps(), get_books(), '2026-01')
    files = _rows('2026-01')
    # Then Ani is a row in each OPD's file: DINKES 1–15 = 10 of 21 working days (2, 5–9, 12–15):
    # 10/21 × 4.000.000 = 1.904.761,90: K 1.142.857,14 → 1.142.857, D 761.904,76 → 761.905, bruto 1.904.762;
    # BAPPEDA 16–31 = 11 of 21: the month 4.000.000 − 1.904.762 = 2.095.238 (11/21 × 4.000.000 = 2.095.238,10)
    [dinkes_ani] = [r for r in files['DINKES.csv'] if r['nama'] == ani['name']]
    [bappeda_ani] = files['BAPPEDA.csv']
    assert (dinkes_ani['bagian kinerja'], dinkes_ani['bagian kehadiran'], dinkes_ani['TPP bruto']) == (
        '1142857', '761905', '1904762',
    )  # fmt: skip
    assert (bappeda_ani['bagian kinerja'], bappeda_ani['bagian kehadiran'], bappeda_ani['TPP bruto']) == (
        '1257143', '838095', '2095238',
    )  # fmt: skip
    assert dinkes_ani['rincian'] == bappeda_ani['rincian'] == 'MUTASI'
    assert int(dinkes_ani['TPP bruto']) + int(bappeda_ani['TPP bruto']) == 4_000_000
    # And Budi is paid 1–9 only: 6 of 21 working days (2, 5–9): 6/21 × 4.000.000 = 1.142.857,14:
    # K 685.714,29 → 685.714, D 457.142,86 → 457.143, bruto 1.142.857, saying PENSIUN
    [dinkes_budi] = [r for r in files['DINKES.csv'] if r['nama'] == budi['name']]
    assert (dinkes_budi['TPP bruto'], dinkes_budi['rincian']) == ('1142857', 'PENSIUN')
    # And Citra, starting on the 16th, is paid 11 of 21 working days: 2.095.238 (as Ani's BAPPEDA part), TMT
    [dinkes_citra] = [r for r in files['DINKES.csv'] if r['nama'] == citra['name']]
    assert (dinkes_citra['TPP bruto'], dinkes_citra['rincian']) == ('2095238', 'TMT')
    # And the pemda file has both of Ani's rows; the month record explains the parts
    assert len(files['pemda.csv']) == 4
    head = [r for r in get_books().records.revisions('2026-01') if r.complete][-1]
    record = get_books().records.month_record(ani['employee_id'], '2026-01', head.revision)
    assert record is not None and record.result.tpp_bruto == 4_000_000
    assert [p.opd_id for p in record.parts] == ['DINKES', 'BAPPEDA']
    assert record.result.notes[-1].startswith('Bagian bulan: tanggal 16-31 di BAPPEDA (11/21 hari kerja)')
    # And each OPD's recap shows Ani's part there
    recaps = {o: hx.call('GET', f'/v1/opds/{o}/recap?month=2026-01', key).body for o in ('DINKES', 'BAPPEDA')}
    assert [(i['name'], i['tpp_bruto']) for i in recaps['BAPPEDA']['items']] == [(ani['name'], 2_095_238)]
    assert (ani['name'], 1_904_762) in [(i['name'], i['tpp_bruto']) for i in recaps['DINKES']['items']]
    assert recaps['DINKES']['count'] == 3
    # And the workbook names the codes: its legend says why the month is in parts
    [xlsx] = [f for f in head.files if f.name == 'pemda.xlsx']
    legend = openpyxl.load_workbook(io.BytesIO(get_books().files.get(xlsx.key)))[SHEET_CODES]
    names = {row[0].value: row[1].value for row in legend.iter_rows(min_row=2)}
    assert names['MUTASI'] == 'Mutasi antar-OPD: bagian bulan di OPD ini'
    assert names['PENSIUN'] == 'Pensiun pada bulan ini: bagian bulan sampai pensiun'


def test_a_month_before_a_promotion_keeps_the_pagu_it_had(hx: Harness) -> None:
    # Given Dewi (PAGU 4.000.000) on time through January and February 2026, promoted to PAGU 5.000.000 from
    # 1 February, with both months scored 100
    key = hx.super_key
    assert hx.call('POST', '/v1/opds', key, opd_body('DINKES', zone=ZONE)).status == 201
    dewi = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 4)).body
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(59)]
    worked = [d for d in days if d.weekday() < 5]
    DynamoPunchLedger().record([phone_punch(dewi['employee_id'], 'DINKES', d, t, ZONE) for d in worked
                                for t in ('07:20', '16:35')])  # fmt: skip
    for month in ('2026-01', '2026-02'):
        body = {'scores': [{'employee_id': dewi['employee_id'], 'score': 100}]}
        assert hx.call('PUT', f'/v1/scores/{month}', key, body).status == 200
    promotion = {'effective_from': '2026-02-01', 'reason': 'PROMOSI', 'kelas_jabatan': 9, 'tpp_ceiling': 5_000_000}
    assert hx.call('POST', f'/v1/employees/{dewi["employee_id"]}/changes', key, promotion).status == 201
    # When both months are closed after the promotion was recorded
    allowance.close_days(get_deps(), get_books(), days[0], days[-1])
    for month in ('2026-01', '2026-02'):
        allowance.close_month(get_deps(), get_books(), month)
    books = get_books()
    january = books.records.month_record(dewi['employee_id'], '2026-01', 1)
    february = books.records.month_record(dewi['employee_id'], '2026-02', 1)
    # Then January is paid at the pagu and kelas it had (4.000.000, kelas 7), February at the new ones, both whole
    assert january is not None and february is not None
    assert (january.kelas, january.result.pagu, january.result.tpp_bruto, january.parts) == (
        7,
        4_000_000,
        4_000_000,
        (),
    )
    assert (february.kelas, february.result.pagu, february.result.tpp_bruto, february.parts) == (
        9,
        5_000_000,
        5_000_000,
        (),
    )


def test_an_upcoming_change_waits_for_its_day(hx: Harness) -> None:
    """A TMT dated after today (issue 15, future TMT): stored and listed as upcoming, the directory record keeps
    today's state, a month before it is paid whole under the old state, and the hourly job applies it once its
    date has begun in every zone (WIB last), once."""
    from dataclasses import replace
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from chalicelib.services import employee_history

    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    for opd in ('DINKES', 'BAPPEDA'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    eka = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 5)).body
    today = datetime.now(ZoneInfo(ZONE)).date()
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    effective = next_month + timedelta(days=15)  # the 16th of next month: always after today
    # Given last month worked on time every weekday and scored 100
    last_month_first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month = last_month_first.strftime('%Y-%m')
    worked = [last_month_first + timedelta(days=n) for n in range(31)]
    worked = [d for d in worked if d.month == last_month_first.month and d.weekday() < 5]
    DynamoPunchLedger().record([phone_punch(eka['employee_id'], 'DINKES', d, t, ZONE) for d in worked
                                for t in ('07:20', '16:35')])  # fmt: skip
    body = {'scores': [{'employee_id': eka['employee_id'], 'score': 100}]}
    assert hx.call('PUT', f'/v1/scores/{month}', key, body).status == 200
    audited = audit_length()
    # When BKPSDM records her transfer to BAPPEDA with a promotion, from the 16th of next month
    mutasi = {'effective_from': effective.isoformat(), 'reason': 'MUTASI', 'opd_id': 'BAPPEDA', 'kelas_jabatan': 9,
              'tpp_ceiling': 5_000_000, 'reference': '821.2/201/BKPSDM/2026'}  # fmt: skip
    recorded = hx.call('POST', f'/v1/employees/{eka["employee_id"]}/changes', key, mutasi)
    # Then it is stored as upcoming and audited, and the directory record keeps today's OPD and pagu
    assert recorded.status == 201, recorded.body
    assert recorded.body['upcoming'] is True
    assert audit_length() == audited + 1
    now = hx.call('GET', f'/v1/employees/{eka["employee_id"]}', key).body
    assert (now['opd_id'], now['kelas_jabatan'], now['tpp_ceiling']) == ('DINKES', 7, 4_000_000)
    history = hx.call('GET', f'/v1/employees/{eka["employee_id"]}/changes', key).body
    assert [(c['effective_from'], c['upcoming'], c['after']['opd_id']) for c in history['items']] == [
        (effective.isoformat(), True, 'BAPPEDA'),
    ]  # fmt: skip
    assert history['current']['opd_id'] == 'DINKES'
    # And a change dated before it (today) is refused: changes are recorded in date order
    today_change = {'effective_from': today.isoformat(), 'reason': 'PROMOSI', 'tpp_ceiling': 4_500_000}
    refused = hx.call('POST', f'/v1/employees/{eka["employee_id"]}/changes', key, today_change)
    assert refused.status == 422, refused.body
    # And a second upcoming change follows the first: its state before is the first one's after
    later = {'effective_from': (effective + timedelta(days=5)).isoformat(), 'reason': 'PROMOSI', 'kelas_jabatan': 10}
    second = hx.call('POST', f'/v1/employees/{eka["employee_id"]}/changes', key, later)
    assert second.status == 201, second.body
    assert (second.body['before']['opd_id'], second.body['before']['kelas_jabatan']) == ('BAPPEDA', 9)
    assert (second.body['after']['opd_id'], second.body['after']['kelas_jabatan']) == ('BAPPEDA', 10)

    # When last month is closed: it is before the change, so it is paid whole in DINKES at the old pagu
    allowance.close_days(get_deps(), get_books(), worked[0].replace(day=1), worked[-1])
    allowance.close_month(get_deps(), get_books(), month)
    head = [r for r in get_books().records.revisions(month) if r.complete][-1]
    record = get_books().records.month_record(eka['employee_id'], month, head.revision)
    assert record is not None
    assert (record.opd_id, record.kelas, record.result.pagu, record.result.tpp_bruto, record.parts) == (
        'DINKES', 7, 4_000_000, 4_000_000, (),
    )  # fmt: skip

    # When the hourly job runs at 23:30 WIB the evening before: nothing is due yet
    eve = datetime.combine(effective, datetime.min.time(), ZoneInfo('Asia/Jakarta')) - timedelta(minutes=30)
    early = employee_history.apply_due_changes(replace(get_deps(), clock=lambda: eve.astimezone(UTC)))
    assert (early['changes_applied'], early['changes_waiting']) == (0, 2)
    # When it runs at 00:30 WIB on the day (02:30 WIT): the first change is applied, the second still waits
    on_the_day = eve + timedelta(hours=1)
    deps = replace(get_deps(), clock=lambda: on_the_day.astimezone(UTC))
    applied = employee_history.apply_due_changes(deps)
    assert (applied['changes_applied'], applied['changes_waiting']) == (1, 1)
    after = hx.call('GET', f'/v1/employees/{eka["employee_id"]}', key).body
    assert (after['opd_id'], after['kelas_jabatan'], after['tpp_ceiling']) == ('BAPPEDA', 9, 5_000_000)
    assert audit_length() == audited + 3  # two changes recorded, one applied (actor job:employee-changes)
    # And a second run on the same day applies nothing again
    assert employee_history.apply_due_changes(deps)['changes_applied'] == 0
    assert audit_length() == audited + 3


def test_a_tkk_becoming_pppk_on_the_16th_is_paid_each_part_under_its_own_profile(hx: Harness) -> None:
    """Issue 15 (b), by hand from the reference (§8.1, §8.3 TKK rupiah deductions, §10), WORKING_DAYS.

    January 2026 here: 21 working days (2, 5–9, 12–16, 19–23, 26–30; 1 January a holiday). Dina is TKK, honorarium
    Rp2.100.000 under the pemda's TKK profile (the example's amounts: no performance part, TL1 = Rp5.000), and
    PPPK from 16 January (TMT; PAGU Rp4.200.000, the ASN default: K 60 %, D 40 %, TL1 0,5 %). 1–15: 10 working
    days (2, 5–9, 12–15); 16–31: 11. She is 10 minutes late on Tuesday 6 January and 15 minutes late on Monday
    19 January, on time otherwise; scored 100.
    """
    from chalicelib.domain.tpp.defaults import TKK_EXAMPLE

    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    assert hx.call('POST', '/v1/opds', key, opd_body('DINKES', zone=ZONE)).status == 201
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}
    assert hx.call('POST', '/v1/holidays', key, holiday).status == 201
    tkk_rules = {**TKK_EXAMPLE, 'profile_id': 'contoh-tkk', 'effective_from': '2025-01-01',
                 'legal_basis': 'Perbup Contoh No. 9 Tahun 2024 tentang honorarium TKK'}  # fmt: skip
    draft = hx.call('POST', '/v1/profiles', key, tkk_rules)
    assert draft.status == 201, draft.body
    approval = {'approval_note': 'Perbup Contoh No. 9 Tahun 2024, ditetapkan 2 Januari 2025'}
    assert hx.call('POST', '/v1/profiles/contoh-tkk/versions/1/publish', key, approval).status == 200
    body = {**employee_body('DINKES', 6, employee_type='TKK', nik='3374014101900006', kelas_jabatan=1,
                            jabatan='Pengelola Layanan Operasional', tpp_ceiling=2_100_000), 'nip': None}  # fmt: skip
    dina = hx.call('POST', '/v1/employees', key, body)
    assert dina.status == 201, dina.body
    dina_id = dina.body['employee_id']
    late = {date(2026, 1, 6): '07:40', date(2026, 1, 19): '07:45'}
    DynamoPunchLedger().record([phone_punch(dina_id, 'DINKES', d, t, ZONE) for d in JANUARY if d.weekday() < 5
                                for t in (late.get(d, '07:20'), '16:35')])  # fmt: skip
    assert hx.call('PUT', '/v1/scores/2026-01', key, {'scores': [{'employee_id': dina_id, 'score': 100}]}).status == 200
    # Given the first half of January closed while she was TKK
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[14])
    # When BKPSDM records her TMT as PPPK from the 16th, with her NI PPPK; without the NIP it is refused
    tmt = {
        'effective_from': '2026-01-16',
        'reason': 'TMT',
        'employee_type': 'PPPK',
        'kelas_jabatan': 7,
        'tpp_ceiling': 4_200_000,
        'jabatan': 'Pranata Komputer Ahli Pertama',
        'reference': 'SK PPPK 813/2026',
    }
    refused = hx.call('POST', f'/v1/employees/{dina_id}/changes', key, tmt)
    assert refused.status == 422, refused.body
    recorded = hx.call('POST', f'/v1/employees/{dina_id}/changes', key, {**tmt, 'nip': '199001012024212001'})
    assert recorded.status == 201, recorded.body
    now = hx.call('GET', f'/v1/employees/{dina_id}', key).body
    assert (now['employee_type'], now['nip'], now['tpp_ceiling']) == ('PPPK', '199001012024212001', 4_200_000)
    # And January is closed again (the days since the 16th re-closed as the nightly job would) and exported
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    books = get_books()
    days = {d: books.records.days([(dina_id, d)])[(dina_id, d)] for d in (date(2026, 1, 6), date(2026, 1, 19))}
    # Then each day was judged under the profile of the type she had that day
    assert (days[date(2026, 1, 6)].profile_id, days[date(2026, 1, 6)].day.deduction) == ('contoh-tkk', 5_000)
    assert (days[date(2026, 1, 19)].profile_id, days[date(2026, 1, 19)].day.deduction) == ('hadir-default-asn', 50)
    allowance.close_month(get_deps(), books, '2026-01')
    [row_tkk, row_pppk] = _rows('2026-01')['DINKES.csv']
    # TKK part, 10/21 of the honorarium: 10/21 × 2.100.000 = 1.000.000, all attendance; TL1 Rp5.000 → 995.000
    tkk = ('kelas', 'pagu', 'bagian kinerja', 'potongan (Rp)', 'TPP bruto', 'rincian')
    assert tuple(row_tkk[c] for c in tkk) == ('1', '2100000', '0', '5000', '995000', 'TL1×1, TMT')
    # PPPK part, 11/21 of PAGU: 11/21 × 4.200.000 = 2.200.000: K 1.320.000, D 880.000 (bagian kehadiran, before
    # the deduction); TL1 0,5 % × 880.000 = 4.400; bruto 1.320.000 + 880.000 − 4.400 = 2.195.600
    pppk = ('kelas', 'pagu', 'bagian kinerja', 'bagian kehadiran', 'potongan (Rp)', 'TPP bruto', 'rincian')
    assert tuple(row_pppk[c] for c in pppk) == ('7', '4200000', '1320000', '880000', '4400', '2195600', 'TL1×1, TMT')
    # And the month is their sum: 995.000 + 2.195.600 = 3.190.600
    head = [r for r in books.records.revisions('2026-01') if r.complete][-1]
    record = books.records.month_record(dina_id, '2026-01', head.revision)
    assert record is not None and record.result.tpp_bruto == 3_190_600
    assert [p.result.employee_type for p in record.parts] == ['TKK', 'PPPK']


@pytest.mark.parametrize(
    ('mode', 'dinkes', 'bappeda'),
    [
        # 15/31 × 4.000.000 = 1.935.483,87: K 1.161.290,32 → 1.161.290, D 774.193,55 → 774.194, bruto 1.935.484;
        # BAPPEDA the rest of the month: K 2.400.000 − 1.161.290 = 1.238.710, D 1.600.000 − 774.194 = 825.806,
        # bruto 2.064.516 (16/31 × 4.000.000 = 2.064.516,13)
        ('CALENDAR_DAYS', ('1161290', '774194', '1935484'), ('1238710', '825806', '2064516')),
        # no pro-rating: the whole month (K 2.400.000 + D 1.600.000) in the OPD of the last state
        ('NONE', None, ('2400000', '1600000', '4000000')),
    ],
)
def test_a_transfer_on_the_16th_under_the_other_modes(
    hx: Harness, mode: str, dinkes: tuple[str, str, str] | None, bappeda: tuple[str, str, str]
) -> None:
    """The worked example of the first test (WORKING_DAYS) under the pemda's own profile with the other modes:
    January 2026, 31 calendar days, PAGU Rp4.000.000, on time, scored 100, transferred on the 16th."""
    from chalicelib.domain.tpp.defaults import ASN_DEFAULT

    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    for opd in ('DINKES', 'BAPPEDA'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}
    assert hx.call('POST', '/v1/holidays', key, holiday).status == 201
    rules = {**ASN_DEFAULT, 'profile_id': 'contoh-asn', 'effective_from': '2025-01-01', 'mid_month': mode,
             'legal_basis': 'Perbup Contoh No. 3 Tahun 2024 tentang TPP, Pasal 12-15'}  # fmt: skip
    assert hx.call('POST', '/v1/profiles', key, rules).status == 201
    approval = {'approval_note': 'Perbup Contoh No. 3 Tahun 2024, ditetapkan 2 Januari 2025'}
    assert hx.call('POST', '/v1/profiles/contoh-asn/versions/1/publish', key, approval).status == 200
    ani = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 1)).body
    DynamoPunchLedger().record([phone_punch(ani['employee_id'], 'DINKES', d, t, ZONE) for d in JANUARY
                                if d.weekday() < 5 for t in ('07:20', '16:35')])  # fmt: skip
    scores = {'scores': [{'employee_id': ani['employee_id'], 'score': 100}]}
    assert hx.call('PUT', '/v1/scores/2026-01', key, scores).status == 200
    mutasi = {'effective_from': '2026-01-16', 'reason': 'MUTASI', 'opd_id': 'BAPPEDA', 'reference': '821.2/045/2026'}
    assert hx.call('POST', f'/v1/employees/{ani["employee_id"]}/changes', key, mutasi).status == 201
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    allowance.close_month(get_deps(), get_books(), '2026-01')
    files = _rows('2026-01')
    columns = ('bagian kinerja', 'bagian kehadiran', 'TPP bruto')
    found = {o: [tuple(r[c] for c in columns) for r in files.get(f'{o}.csv', [])] for o in ('DINKES', 'BAPPEDA')}
    assert found == {'DINKES': [dinkes] if dinkes else [], 'BAPPEDA': [bappeda]}
    # The OPD rows of the pemda file add up to the month: Rp4.000.000
    assert sum(int(r['TPP bruto']) for r in files['pemda.csv']) == 4_000_000


def test_an_upcoming_change_is_withdrawn_latest_first_and_an_earlier_one_can_then_be_recorded(hx: Harness) -> None:
    """A decree cancelled before its day: the upcoming change is withdrawn (audited, why given), the latest
    first; it leaves the history, the job never applies it, and a change dated before it is accepted again. An
    applied change cannot be withdrawn, and the rest of the refusals say what to do."""
    from dataclasses import replace
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from chalicelib.services import employee_history

    key = hx.super_key
    for opd in ('DINKES', 'BAPPEDA'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    eka = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 6)).body
    changes = f'/v1/employees/{eka["employee_id"]}/changes'
    today = datetime.now(ZoneInfo(ZONE)).date()
    first_day = today + timedelta(days=40)
    # Given two upcoming changes: a transfer, then a promotion five days after it
    mutasi = hx.call('POST', changes, key, {'effective_from': first_day.isoformat(), 'reason': 'MUTASI',
                                           'opd_id': 'BAPPEDA', 'reference': '821.2/301/BKPSDM/2026'}).body  # fmt: skip
    promosi = hx.call('POST', changes, key, {'effective_from': (first_day + timedelta(days=5)).isoformat(),
                                            'reason': 'PROMOSI', 'kelas_jabatan': 9}).body  # fmt: skip
    note = {'note': 'SK mutasi dibatalkan oleh Bupati'}
    other_admin = hx.make_key('opd_admin', 'BAPPEDA')
    own_admin = hx.make_key('opd_admin', 'DINKES')  # a change moving her out of DINKES is BKPSDM's to withdraw
    audited = audit_length()

    # When the transfer is withdrawn first: refused, the promotion follows it
    refused = hx.call('POST', f'{changes}/{mutasi["change_id"]}/withdrawal', key, note)
    assert (refused.status, refused.body['error']['code']) == (409, 'change_not_latest'), refused.body
    assert promosi['change_id'] in refused.body['error']['message']
    # And without saying why, or with an unknown change, or by another OPD's admin: each refused, nothing lost
    assert hx.call('POST', f'{changes}/{promosi["change_id"]}/withdrawal', key, {}).status == 422
    unknown = hx.call('POST', f'{changes}/chg-nothere/withdrawal', key, note)
    assert (unknown.status, unknown.body['error']['code']) == (404, 'not_found'), unknown.body
    assert hx.call('POST', f'{changes}/{promosi["change_id"]}/withdrawal', other_admin, note).status == 403
    assert hx.call('POST', f'{changes}/{promosi["change_id"]}/withdrawal', own_admin, note).status == 403
    assert audit_length() == audited
    assert len(hx.call('GET', changes, key).body['items']) == 2

    # When BKPSDM withdraws the promotion, then the transfer
    withdrawn = hx.call('POST', f'{changes}/{promosi["change_id"]}/withdrawal', key, {'note': 'ikut SK mutasi'})
    assert withdrawn.status == 200, withdrawn.body
    assert (withdrawn.body['withdrawn'], withdrawn.body['withdrawal_note']) == (True, 'ikut SK mutasi')
    assert hx.call('POST', f'{changes}/{mutasi["change_id"]}/withdrawal', key, note).status == 200
    # Then both left the history, each withdrawal is audited with the change and why, and she stays in DINKES
    assert hx.call('GET', changes, key).body['items'] == []
    entries = list(get_deps().audit_log.walk(audited + 1))
    assert [(e.action, e.target, e.before['change_id'], e.after['note']) for e in entries] == [
        ('employee.change_withdrawn', f'employee/{eka["employee_id"]}', promosi['change_id'], 'ikut SK mutasi'),
        ('employee.change_withdrawn', f'employee/{eka["employee_id"]}', mutasi['change_id'], note['note']),
    ]  # fmt: skip
    # And the hourly job on the transfer's day has nothing to apply
    due = datetime.combine(first_day, datetime.min.time(), ZoneInfo(ZONE)) + timedelta(hours=3)
    applied = employee_history.apply_due_changes(replace(get_deps(), clock=lambda: due.astimezone(UTC)))
    assert (applied['changes_applied'], applied['changes_waiting']) == (0, 0)
    assert hx.call('GET', f'/v1/employees/{eka["employee_id"]}', key).body['opd_id'] == 'DINKES'

    # When a change dated today is recorded now that nothing upcoming is before it: accepted and in force
    raise_today = {'effective_from': today.isoformat(), 'reason': 'PROMOSI', 'tpp_ceiling': 4_500_000}
    in_force = hx.call('POST', changes, key, raise_today)
    assert in_force.status == 201, in_force.body
    # Then it cannot be withdrawn: it is corrected by a new change of the same date
    late = hx.call('POST', f'{changes}/{in_force.body["change_id"]}/withdrawal', key, note)
    assert (late.status, late.body['error']['code']) == (409, 'change_applied'), late.body
    assert 'restoring the state' in late.body['error']['message']
    assert [c['change_id'] for c in hx.call('GET', changes, key).body['items']] == [in_force.body['change_id']]


def test_a_withdrawal_racing_the_job_that_applies_the_change_loses_and_changes_nothing(hx: Harness) -> None:
    """The hourly job applies the change between the withdrawal's reads and its write: the withdrawal is 409
    ``change_applied``; the change stays recorded and in force, and the audit has its application only."""
    from dataclasses import replace
    from datetime import UTC, datetime
    from typing import Any
    from zoneinfo import ZoneInfo

    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.models import Principal, Role
    from chalicelib.services import employee_history

    key = hx.super_key
    for opd in ('DINKES', 'BAPPEDA'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    eka = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 7)).body
    day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=30)
    mutasi = hx.call('POST', f'/v1/employees/{eka["employee_id"]}/changes', key,
                     {'effective_from': day.isoformat(), 'reason': 'MUTASI', 'opd_id': 'BAPPEDA'}).body  # fmt: skip
    deps = get_deps()
    on_the_day = (datetime.combine(day, datetime.min.time(), ZoneInfo(ZONE)) + timedelta(hours=2)).astimezone(UTC)

    class JobRunsFirst:
        """The store, except that the job applying due changes commits just before the withdrawal does."""

        def __init__(self, store: Any) -> None:
            self._store = store

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store, name)

        def commit(self, writes: Any, audit: Any) -> Any:
            assert employee_history.apply_due_changes(replace(deps, clock=lambda: on_the_day))['changes_applied'] == 1
            return self._store.commit(writes, audit)

    audited = audit_length()
    racing = replace(deps, store=JobRunsFirst(deps.store))
    with pytest.raises(Conflict) as refused:
        employee_history.withdraw_change(racing, Principal(key_id='key-bkpsdm', role=Role.SUPER), eka['employee_id'],
                                         mutasi['change_id'], {'note': 'SK dibatalkan'})  # fmt: skip
    assert refused.value.code == 'change_applied'
    assert hx.call('GET', f'/v1/employees/{eka["employee_id"]}', key).body['opd_id'] == 'BAPPEDA'
    listed = hx.call('GET', f'/v1/employees/{eka["employee_id"]}/changes', key).body['items']
    assert [c['change_id'] for c in listed] == [mutasi['change_id']]
    assert [e.action for e in deps.audit_log.walk(audited + 1)] == ['employee.change_applied']


def test_the_upcoming_changes_of_the_pemda_are_listed_soonest_first_each_opd_seeing_who_leaves_and_arrives(
    hx: Harness,
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    key = hx.super_key
    for opd in ('DINKES', 'BAPPEDA', 'DISPAR'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    eka = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 11)).body
    budi = hx.call('POST', '/v1/employees', key, employee_body('BAPPEDA', 12)).body
    citra = hx.call('POST', '/v1/employees', key, employee_body('DISPAR', 13)).body
    dedi = hx.call('POST', '/v1/employees', key, employee_body('DINKES', 14)).body
    today = datetime.now(ZoneInfo(ZONE)).date()

    def change(person: dict[str, str], days: int, **fields: object) -> dict[str, str]:
        body = {'effective_from': (today + timedelta(days=days)).isoformat(), **fields}
        reply = hx.call('POST', f'/v1/employees/{person["employee_id"]}/changes', key, body)
        assert reply.status == 201, reply.body
        return dict(reply.body)

    # Given a transfer DINKES -> BAPPEDA in 40 days, a pensiun in BAPPEDA in 20, a promotion in DISPAR in 60, and
    # a change in DINKES applied today (not upcoming)
    transfer = change(eka, 40, reason='MUTASI', opd_id='BAPPEDA')
    pensiun = change(budi, 20, reason='PENSIUN', active=False)
    promotion = change(citra, 60, reason='PROMOSI', kelas_jabatan=9)
    change(dedi, 0, reason='PROMOSI', kelas_jabatan=8)
    dinkes_admin = hx.make_key('opd_admin', 'DINKES')
    path = '/v1/employee-changes/upcoming'

    # When BKPSDM lists them: the three upcoming ones, soonest first, each with the employee's name and NIP
    every = hx.call('GET', path, key)
    assert every.status == 200, every.body
    assert [(c['change_id'], c['employee']['name'], c['employee']['nip']) for c in every.body['items']] == [
        (pensiun['change_id'], budi['name'], budi['nip']),
        (transfer['change_id'], eka['name'], eka['nip']),
        (promotion['change_id'], citra['name'], citra['nip']),
    ]  # fmt: skip
    assert all(c['upcoming'] for c in every.body['items']) and every.body['count'] == 3
    # And BAPPEDA's list holds who leaves it (Budi) and who arrives (Eka)
    bappeda = hx.call('GET', f'{path}?opd=BAPPEDA', key).body['items']
    assert [c['employee_id'] for c in bappeda] == [budi['employee_id'], eka['employee_id']]
    # And DINKES's admin sees Eka leaving, only; another OPD's list and a finance key are refused
    assert [c['employee_id'] for c in hx.call('GET', path, dinkes_admin).body['items']] == [eka['employee_id']]
    assert hx.call('GET', f'{path}?opd=BAPPEDA', dinkes_admin).status == 403
    assert hx.call('GET', path, hx.make_key('finance')).status == 403
    # When the transfer is withdrawn it leaves the list
    withdrawal = {'note': 'SK dibatalkan'}
    assert hx.call('POST', f'/v1/employees/{eka["employee_id"]}/changes/{transfer["change_id"]}/withdrawal', key,
                   withdrawal).status == 200  # fmt: skip
    assert [c['change_id'] for c in hx.call('GET', path, key).body['items']] == [pensiun['change_id'],
                                                                                promotion['change_id']]  # fmt: skip
