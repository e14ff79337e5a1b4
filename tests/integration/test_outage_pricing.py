"""Outage days priced from verified manual records (issue 16), on moto.

Wednesday 14 January 2026, DISKOMINFO (5HK, jam masuk 07:30, jam pulang 16:00): the machine is down all day
and the personnel office confirms the outage. Eka checks in by phone at 08:10 (and out at 16:05), Fajar is on
the OPD's manual attendance list at 07:25–16:05, Gita has neither.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.tpp.day import DayCategory, DayResult
from chalicelib.domain.tpp.defaults import default_profile
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.services import allowance
from chalicelib.services.allowance import AllowanceBooks
from chalicelib.services.reclose import pending_recloses
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
DAY = date(2026, 1, 14)
OUTAGE = f'DISKOMINFO@{DAY}'
EVIDENCE = {'kind': 'signed_list_photo', 'references': ['DISKOMINFO-2026-01-14-daftar-hadir.jpg']}


@dataclass
class Office:
    hx: Harness
    admin: str  # DISKOMINFO's OPD admin
    eka: str  # phone check-in 08:10
    fajar: str  # on the manual list 07:25–16:05
    gita: str  # no record at all
    nurse: str  # another OPD


def _ok(reply: Any, status: int = 200) -> dict[str, Any]:
    assert reply.status == status, reply.body
    return dict(reply.body)


@pytest.fixture
def office(hx: Harness) -> Office:
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Bengkulu'}
    _ok(hx.call('PUT', '/v1/pemda', key, pemda))
    _ok(hx.call('POST', '/v1/opds', key, opd_body('DISKOMINFO', zone=ZONE)), 201)
    _ok(hx.call('POST', '/v1/opds', key, opd_body('PKM-KOTA', kind='puskesmas', zone=ZONE)), 201)
    bodies = [employee_body('DISKOMINFO', n) for n in (1, 2, 3)] + [employee_body('PKM-KOTA', 4)]
    eka, fajar, gita, nurse = (_ok(hx.call('POST', '/v1/employees', key, b), 201)['employee_id'] for b in bodies)
    DynamoPunchLedger().record([phone_punch(eka, 'DISKOMINFO', DAY, hhmm, ZONE) for hhmm in ('08:10', '16:05')])
    proposal = {'opd_id': 'DISKOMINFO', 'day': DAY.isoformat(), 'reason': 'mesin sidik jari mati seharian'}
    _ok(hx.call('POST', '/v1/outages', key, proposal), 201)
    decision = {'decision': 'confirm', 'reason': 'diperiksa teknisi BKPSDM'}
    _ok(hx.call('POST', f'/v1/outages/{OUTAGE}/decision', key, decision))
    return Office(hx, hx.make_key('opd_admin', 'DISKOMINFO'), eka, fajar, gita, nurse)


def _list(office: Office, *lines: dict[str, Any]) -> dict[str, Any]:
    return {'lines': list(lines), 'evidence': EVIDENCE}


def _submit_fajar(office: Office) -> dict[str, Any]:
    body = _list(office, {'employee_id': office.fajar, 'arrival': '07:25', 'departure': '16:05'})
    return _ok(office.hx.call('PUT', f'/v1/outages/{OUTAGE}/manual-list', office.admin, body))


def _approve(office: Office) -> dict[str, Any]:
    decision = {'decision': 'approve', 'reason': 'daftar bertanda tangan kepala dinas diperiksa'}
    return _ok(office.hx.call('POST', f'/v1/outages/{OUTAGE}/manual-list/decision', office.hx.super_key, decision))


def _day(employee_id: str, books: AllowanceBooks | None = None) -> DayResult:
    return (books or get_books()).records.days([(employee_id, DAY)])[(employee_id, DAY)].day


def test_manual_verified_prices_each_employee_by_the_records_tl_h_and_tk(office: Office) -> None:
    # Given the approved manual list naming Fajar 07:25–16:05
    _submit_fajar(office)
    _approve(office)
    # When the day is closed under the default policy (MANUAL_VERIFIED)
    report = allowance.close_day(get_deps(), get_books(), DAY)
    assert report.outages == 3
    eka, fajar, gita = (_day(e) for e in (office.eka, office.fajar, office.gita))
    # Then Eka is late (40 min, TL2 1 %) by her phone, Fajar present by the list, Gita TK (5 %)
    assert (eka.codes, eka.deduction, eka.outage) == (('TL2',), 100, True)
    assert (fajar.codes, fajar.deduction, fajar.category) == (('H',), 0, DayCategory.PRESENT)
    assert (gita.codes, gita.deduction, gita.category) == (('TK',), 500, DayCategory.ABSENT)
    # And each day says the machine was down and which record counted
    prefix = 'Mesin presensi tidak berfungsi (gangguan dikonfirmasi); '
    assert eka.explanation == (f'{prefix}dinilai dari catatan pengganti: masuk 08:10 (presensi HP), pulang 16:05 '
                               '(presensi HP): Terlambat 40 menit (TL2): potongan 1,00%')  # fmt: skip
    assert fajar.explanation == (f'{prefix}dinilai dari catatan pengganti: masuk 07:25 (daftar hadir manual '
                                 f'{OUTAGE}), pulang 16:05 (daftar hadir manual {OUTAGE}): Hadir tepat waktu (H): '
                                 'tanpa potongan')  # fmt: skip
    assert gita.explanation.startswith(f'{prefix}tidak ada presensi HP maupun daftar hadir manual yang disetujui')


def test_a_list_counts_only_once_approved_and_the_approval_recloses_the_day(office: Office) -> None:
    # Given the list submitted but not yet approved
    _submit_fajar(office)
    allowance.close_day(get_deps(), get_books(), DAY)
    # Then Fajar is TK: an unapproved list is no verified record
    assert _day(office.fajar).codes == ('TK',)
    # When the personnel office approves it
    approved = _approve(office)
    assert approved['state'] == 'approved' and approved['decided_by']
    # Then the past day is marked for re-close, and the re-close makes Fajar present
    assert DAY.isoformat() in [m.data['day'] for m in pending_recloses(get_deps())]
    allowance.close_day(get_deps(), get_books(), DAY)
    assert _day(office.fajar).codes == ('H',)
    # And both steps are audited
    audit = office.hx.call('GET', '/v1/audit?opd=DISKOMINFO', office.hx.super_key).body['items']
    actions = [e['action'] for e in audit]
    assert actions[:2] == ['manual_list.approve', 'manual_list.submit']


def test_forgive_forgives_everyone_records_or_not(office: Office) -> None:
    data = default_profile().model_dump(mode='json')
    data['outage'] = {**data['outage'], 'policy': 'FORGIVE'}
    profile = RuleProfile.model_validate(data)
    books = dataclasses.replace(get_books(), profiles=(profile,))
    _submit_fajar(office)
    _approve(office)
    allowance.close_day(get_deps(), books, DAY)
    for employee_id in (office.eka, office.fajar, office.gita):
        day = _day(employee_id, books)
        assert (day.category, day.codes, day.deduction) == (DayCategory.OUTAGE, ('OUT',), 0)
        assert 'kebijakan FORGIVE' in day.explanation


def test_who_may_enter_and_decide_a_list_and_what_it_may_name(office: Office) -> None:
    hx = office.hx
    other_admin = hx.make_key('opd_admin', 'PKM-KOTA')
    body = _list(office, {'employee_id': office.fajar, 'arrival': '07:25'})
    # An admin of another OPD may not enter it; a nurse of another OPD may not be on it; a line needs a time
    assert hx.call('PUT', f'/v1/outages/{OUTAGE}/manual-list', other_admin, body).status == 403
    foreign = _list(office, {'employee_id': office.nurse, 'arrival': '07:25'})
    refused = hx.call('PUT', f'/v1/outages/{OUTAGE}/manual-list', office.admin, foreign)
    assert (refused.status, refused.body['error']['fields'][0]['path']) == (422, 'lines.0.employee_id')
    empty = _list(office, {'employee_id': office.fajar})
    assert hx.call('PUT', f'/v1/outages/{OUTAGE}/manual-list', office.admin, empty).status == 422
    # The OPD admin may not approve its own list; the personnel office approves once, and it is final
    _submit_fajar(office)
    decision = {'decision': 'approve', 'reason': 'daftar bertanda tangan diperiksa'}
    path = f'/v1/outages/{OUTAGE}/manual-list/decision'
    assert hx.call('POST', path, office.admin, decision).status == 403
    _approve(office)
    assert hx.call('POST', path, hx.super_key, decision).status == 409
    assert hx.call('PUT', f'/v1/outages/{OUTAGE}/manual-list', office.admin, body).status == 409
    # And the list reads back with its evidence and state
    listed = _ok(hx.call('GET', f'/v1/outages/{OUTAGE}/manual-list', office.admin))
    assert (listed['state'], listed['evidence']['kind'], len(listed['lines'])) == ('approved', 'signed_list_photo', 1)
    assert hx.call('GET', f'/v1/outages/{OUTAGE}/manual-list', other_admin).status == 403


def test_the_outage_listing_says_whether_a_manual_list_was_entered_and_its_state(office: Office) -> None:
    # Given DISKOMINFO's confirmed outage without a list: the listing says none
    [outage] = _ok(office.hx.call('GET', '/v1/outages?opd=DISKOMINFO', office.admin))['items']
    assert outage['manual_list'] is None
    # When the admin enters one, and the personnel office approves it
    _submit_fajar(office)
    [waiting] = _ok(office.hx.call('GET', '/v1/outages?opd=DISKOMINFO', office.admin))['items']
    _approve(office)
    [approved] = _ok(office.hx.call('GET', '/v1/outages', office.hx.super_key))['items']
    # Then the listing carries the list's state and size, read with the page (no request per outage)
    assert (waiting['manual_list']['state'], waiting['manual_list']['lines']) == ('submitted', 1)
    assert waiting['manual_list']['decided_at'] is None
    assert (approved['manual_list']['state'], approved['manual_list']['lines']) == ('approved', 1)
    assert approved['manual_list']['decided_at'] is not None
