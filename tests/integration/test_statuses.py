"""Statuses through the routes: recorded as approved with a document number (audited), listed, cancelled
(audited, kept), checked against the rule profile's status matrix, one per employee per day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.services import reclose
from chalicelib.wiring import get_deps
from tests.integration.builders import employee_body, opd_body
from tests.support import Harness, Reply

PPPK_NIP = '198503012021211001'  # code 21 in digits 13-14: an NI PPPK


@dataclass
class Office:
    hx: Harness
    pns: str
    pppk: str
    other: str  # in another OPD
    admin: str  # opd_admin of DIKES


@pytest.fixture
def office(hx: Harness) -> Office:
    # Given two OPDs, a PNS and a PPPK in DIKES, a PNS in DISPAR, and DIKES's admin key
    for opd in ('DIKES', 'DISPAR'):
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body(opd)).status == 201
    ids = []
    for body in (employee_body('DIKES', 1), employee_body('DIKES', 2, employee_type='PPPK', nip=PPPK_NIP),
                 employee_body('DISPAR', 3)):  # fmt: skip
        reply = hx.call('POST', '/v1/employees', hx.super_key, body)
        assert reply.status == 201, reply.body
        ids.append(reply.body['employee_id'])
    return Office(hx, ids[0], ids[1], ids[2], hx.make_key('opd_admin', 'DIKES'))


def _post(office: Office, employee_id: str, body: dict[str, Any], key: str | None = None) -> Reply:
    return office.hx.call('POST', f'/v1/employees/{employee_id}/statuses', key or office.admin, body)


def _fields(reply: Reply) -> dict[str, str]:
    assert reply.body['error']['code'] == 'validation_failed', reply.body
    return {f['path']: f['message'] for f in reply.body['error']['fields']}


LEAVE = {'code': 'CT', 'first': '2026-11-02', 'last': '2026-11-06', 'reference': '851/77/BKPSDM/2026'}
ONE_DAY = {'first': '2026-11-02', 'last': '2026-11-02'}


def test_an_admin_records_a_leave_it_is_listed_audited_and_marks_closed_days_for_re_close(office: Office) -> None:
    # When DIKES's admin records cuti tahunan for its PNS, 2–6 November (before today, 30 November on this box
    # or later)
    reply = _post(office, office.pns, LEAVE)
    # Then it is approved by that key, listed for the employee, and audited
    assert reply.status == 201, reply.body
    status = reply.body
    assert (status['code'], status['state'], status['first'], status['last']) == ('CT', 'approved', '2026-11-02',
                                                                                  '2026-11-06')  # fmt: skip
    assert status['status_id'].startswith('sts-') and status['opd_id'] == 'DIKES'
    listed = office.hx.call('GET', f'/v1/employees/{office.pns}/statuses', office.admin).body
    assert [s['status_id'] for s in listed['items']] == [status['status_id']]
    audit = office.hx.call('GET', '/v1/audit?opd=DIKES', office.hx.super_key).body['items'][0]
    assert (audit['action'], audit['target'], audit['after']['reference']) == (
        'status.approve', f'status/{status["status_id"]}', '851/77/BKPSDM/2026',
    )  # fmt: skip
    # And its five days, closed or not, are marked for the next close to recompute
    marked = {m.data['day'] for m in reclose.pending_recloses(get_deps()) if status['status_id'] in m.data['cause']}
    assert marked == {f'2026-11-0{d}' for d in range(2, 7)}


def test_an_overlapping_status_is_refused_with_409_until_the_first_is_cancelled(office: Office) -> None:
    # Given a leave from 2 to 6 November
    first = _post(office, office.pns, LEAVE).body
    # When a sick day on 6 November is recorded for the same employee
    sick = {'code': 'S', 'first': '2026-11-06', 'last': '2026-11-09', 'reference': 'SKD/12/2026'}
    clash = _post(office, office.pns, sick)
    # Then it is refused, naming the status it overlaps
    assert (clash.status, clash.body['error']['code']) == (409, 'status_overlap')
    assert clash.body['error']['details'] == {'status_id': first['status_id'], 'code': 'CT', 'first': '2026-11-02',
                                              'last': '2026-11-06'}  # fmt: skip
    # And another employee is not affected, nor a range that only touches it
    assert _post(office, office.pppk, sick).status == 201
    assert _post(office, office.pns, {**sick, 'first': '2026-11-07'}).status == 201
    # When the leave is cancelled with a reason
    path = f'/v1/statuses/{first["status_id"]}/cancel'
    cancelled = office.hx.call('POST', path, office.admin, {'reason': 'cuti ditunda oleh atasan'})
    # Then it is kept as cancelled, audited, and its days are free again; a second cancel is a 409
    assert (cancelled.status, cancelled.body['state'], cancelled.body['cancel_reason']) == (
        200, 'cancelled', 'cuti ditunda oleh atasan',
    )  # fmt: skip
    audit = office.hx.call('GET', '/v1/audit?opd=DIKES', office.hx.super_key).body['items'][0]
    assert (audit['action'], audit['after']) == ('status.cancel', {'state': 'cancelled',
                                                                   'reason': 'cuti ditunda oleh atasan'})  # fmt: skip
    assert _post(office, office.pns, {**sick, 'last': '2026-11-06'}).status == 201
    again = office.hx.call('POST', path, office.admin, {'reason': 'dua kali'})
    assert (again.status, again.body['error']['code']) == (409, 'status_cancelled')
    listed = office.hx.call('GET', f'/v1/employees/{office.pns}/statuses', office.admin).body['items']
    assert [(s['code'], s['state']) for s in listed] == [('CT', 'cancelled'), ('S', 'approved'), ('S', 'approved')]


@pytest.mark.parametrize(
    ('who', 'body', 'fields'),
    [
        ('pns', {**LEAVE, 'last': '2026-11-01'}, {'last': 'must not be before first'}),
        ('pns', {**LEAVE, 'code': 'XX'}, {'code': 'XX is not in the status matrix of hadir-default-asn'}),
        ('pns', {**LEAVE, 'code': 'CB'}, {'code': 'CB is not in the status matrix of hadir-default-asn'}),
        ('pppk', {**LEAVE, 'code': 'CAP'}, {'code': 'CAP (Cuti karena alasan penting) does not apply to PPPK'}),
        ('pppk', {**LEAVE, 'code': 'CBS'}, {'code': 'CBS (Cuti besar) does not apply to PPPK'}),
        ('pppk', {**LEAVE, 'code': 'CLTN'}, {'code': 'CLTN (Cuti di luar tanggungan negara) does not apply to PPPK'}),
        (
            'pns',
            {'code': 'DL', 'first': '2026-11-02', 'last': '2026-11-02'},
            {'reference': 'DL needs the number of its surat tugas'},
        ),  # fmt: skip
        (
            'pns',
            {'code': 'S', 'first': '2026-11-02', 'last': '2026-11-02'},
            {'reference': 'S needs the number of its surat keterangan dokter'},
        ),  # fmt: skip
        (
            'pns',
            {
                **LEAVE,
                'location': {'kind': 'circle', 'name': 'Rumah', 'center': {'lat': -5.1, 'lon': 119.4}, 'radius_m': 50},
            },
            {'location': 'only a duty counted present (DL, TD, DK) has a place, not CT'},
        ),  # fmt: skip
        (
            'pns',
            {**LEAVE, 'last': '2031-01-01'},
            {'last': 'a status covers at most 1461 days; record the rest as another'},
        ),  # fmt: skip
        (
            'pns',
            {**LEAVE, 'first': '2026-02-30'},
            {'first': 'Input should be a valid date or datetime, day value is outside expected range'},
        ),  # fmt: skip
        ('pns', {**LEAVE, 'approved_by': 'me'}, {'approved_by': 'Extra inputs are not permitted'}),
    ],
)
def test_invalid_requests_are_422_with_field_paths(office: Office, who: str, body: dict[str, Any],
                                                   fields: dict[str, str]) -> None:  # fmt: skip
    reply = _post(office, getattr(office, who), body)
    assert reply.status == 422, reply.body
    found = _fields(reply)
    assert set(found) == set(fields) and all(found[path].startswith(fields[path]) for path in fields), found


def test_pppk_has_its_four_leave_types_and_the_duties(office: Office) -> None:
    # CT, S (cuti sakit), CM here; cuti bersama is a calendar day, not a status. DL with its surat tugas.
    for n, code in enumerate(('CT', 'S', 'CM', 'DL')):
        day = f'2026-10-{n + 5:02d}'
        reply = _post(office, office.pppk, {'code': code, 'first': day, 'last': day, 'reference': f'800/{n}'})
        assert reply.status == 201, reply.body


def test_who_may_record_list_and_cancel(office: Office) -> None:
    hx, status = office.hx, _post(office, office.pns, LEAVE).body
    cancel = f'/v1/statuses/{status["status_id"]}/cancel'
    reason = {'reason': 'salah input'}
    # Without a key: 401; finance and bridge roles: 403; an auditor may read but not write
    assert hx.call('POST', f'/v1/employees/{office.pns}/statuses', None, LEAVE).status == 401
    assert hx.call('GET', f'/v1/employees/{office.pns}/statuses').status == 401
    finance, auditor = hx.make_key('finance'), hx.make_key('auditor')
    assert hx.call('GET', f'/v1/employees/{office.pns}/statuses', finance).status == 403
    assert hx.call('GET', f'/v1/employees/{office.pns}/statuses', auditor).status == 200
    assert _post(office, office.pns, LEAVE, key=auditor).status == 403
    assert hx.call('POST', cancel, auditor, reason).status == 403
    # DIKES's admin may not touch DISPAR's employee, nor DISPAR's admin DIKES's status
    outsider = hx.make_key('opd_admin', 'DISPAR')
    refused = [_post(office, office.other, LEAVE), hx.call('GET', f'/v1/employees/{office.other}/statuses',
                                                           office.admin),
               hx.call('POST', cancel, outsider, reason)]  # fmt: skip
    assert [(r.status, r.body['error']['code']) for r in refused] == [(403, 'forbidden')] * 3
    # Unknown employee or status: 404 in the one error shape
    missing = [_post(office, 'emp-nobody', LEAVE), hx.call('POST', '/v1/statuses/sts-nothing/cancel', office.admin,
                                                           reason)]  # fmt: skip
    assert [(r.status, r.body['error']['code']) for r in missing] == [(404, 'not_found')] * 2
    assert all({'code', 'message', 'request_id'} <= set(r.body['error']) for r in refused + missing)
    # The super key may act on any OPD
    assert hx.call('POST', cancel, hx.super_key, reason).status == 200


def test_a_tkk_without_a_profile_in_force_gets_the_statuses_of_the_shipped_tkk_template(office: Office) -> None:
    # Given a TKK (no rule profile in force prices TKK yet)
    body = {**employee_body('DIKES', 9, employee_type='TKK', nik='3330014101900009'), 'nip': None}
    tkk = office.hx.call('POST', '/v1/employees', office.hx.super_key, body).body['employee_id']
    # Then a DL with its surat tugas is accepted (its place is used at check-in), but cuti tahunan is not a TKK status
    assert _post(office, tkk, {'code': 'DL', **ONE_DAY, 'reference': '800/9/DL'}).status == 201
    refused = _post(office, tkk, {**LEAVE, 'first': '2026-11-09', 'last': '2026-11-09'})
    assert _fields(refused)['code'].startswith('CT is not in the status matrix of hadir-example-tkk')
