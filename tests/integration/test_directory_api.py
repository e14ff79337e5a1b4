"""Happy paths of master data and keys, end to end through the API on moto."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.models import Employee
from chalicelib.services.common import KIND_KEY
from chalicelib.services.directory import employee_writes
from chalicelib.wiring import get_deps
from tests.integration.builders import bridge_body, employee_body, machine_body, nip, nip_owner, opd_body
from tests.support import Harness


def create(hx: Harness, path: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    reply = hx.call('POST', path, key or hx.super_key, body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def setup_opd(hx: Harness, opd_id: str = 'OPDA', **overrides: Any) -> dict[str, Any]:
    return create(hx, '/v1/opds', opd_body(opd_id, **overrides))


# --- OPD -----------------------------------------------------------------------------------------


def test_an_opd_is_created_read_and_patched_with_its_version_advancing(hx: Harness) -> None:
    # Given a new OPD with a circular office geofence
    location = {'kind': 'circle', 'name': 'Kantor', 'center': {'lat': -5.14, 'lon': 119.42}, 'radius_m': 150}
    created = setup_opd(hx, 'DISDIK', locations=[location])
    assert created['locations'][0]['radius_m'] == 150
    # When its name is patched
    patched = hx.call('PATCH', '/v1/opds/DISDIK', hx.super_key, {'name': 'Dinas Pendidikan dan Kebudayaan'})
    # Then the change is stored at version 1, other fields kept
    assert patched.status == 200
    got = hx.call('GET', '/v1/opds/DISDIK', hx.super_key).body
    assert (got['name'], got['version'], got['locations']) == ('Dinas Pendidikan dan Kebudayaan', 1, [location])


def test_an_opd_cannot_be_renamed_to_another_id_or_be_its_own_parent(hx: Harness) -> None:
    setup_opd(hx)
    renamed = hx.call('PATCH', '/v1/opds/OPDA', hx.super_key, {'opd_id': 'OPDZ'})
    own_parent = hx.call('PATCH', '/v1/opds/OPDA', hx.super_key, {'parent_opd_id': 'OPDA'})
    assert [f['path'] for f in renamed.body['error']['fields']] == ['opd_id']
    assert [f['path'] for f in own_parent.body['error']['fields']] == ['parent_opd_id']
    assert hx.call('GET', '/v1/opds/OPDA', hx.super_key).body['version'] == 0


def test_a_sub_opd_must_name_an_existing_parent(hx: Harness) -> None:
    setup_opd(hx, 'KEC-TAMALATE', kind='kecamatan')
    orphan = hx.call('POST', '/v1/opds', hx.super_key, opd_body('KEL-X', kind='kelurahan', parent_opd_id='NOPE'))
    child = hx.call('POST', '/v1/opds', hx.super_key, opd_body('KEL-Y', kind='kelurahan',
                                                                parent_opd_id='KEC-TAMALATE'))  # fmt: skip
    assert orphan.status == 422 and orphan.body['error']['fields'][0]['path'] == 'parent_opd_id'
    assert child.status == 201


def test_an_empty_opd_is_deleted_and_a_staffed_one_is_refused(hx: Harness) -> None:
    # Given an empty OPD and one with an employee
    setup_opd(hx, 'EMPTY')
    setup_opd(hx, 'STAFFED')
    create(hx, '/v1/employees', employee_body('STAFFED', 1))
    # When both are deleted
    empty = hx.call('DELETE', '/v1/opds/EMPTY', hx.super_key)
    staffed = hx.call('DELETE', '/v1/opds/STAFFED', hx.super_key)
    # Then the empty one is gone, and the staffed one is a conflict and stays
    assert (empty.status, empty.body) == (200, {'deleted': 'EMPTY', 'keys_revoked': 0})
    assert hx.call('GET', '/v1/opds/EMPTY', hx.super_key).status == 404
    assert staffed.status == 409 and 'employee' in staffed.body['error']['message']
    assert hx.call('GET', '/v1/opds/STAFFED', hx.super_key).status == 200


def test_deleting_an_opd_revokes_the_keys_bound_to_it(hx: Harness) -> None:
    # Given an empty OPD with an opd_admin key, and another OPD's admin key
    setup_opd(hx, 'GONE')
    setup_opd(hx, 'STAYS')
    gone_key = hx.make_key('opd_admin', 'GONE')
    stays_key = hx.make_key('opd_admin', 'STAYS')
    assert hx.call('GET', '/v1/opds/GONE', gone_key).status == 200
    # When the OPD is deleted
    deleted = hx.call('DELETE', '/v1/opds/GONE', hx.super_key)
    # Then its admin key is revoked with it, in the same audited change, and the other key still works
    assert (deleted.status, deleted.body['keys_revoked']) == (200, 1)
    refused = hx.call('GET', '/v1/employees', gone_key)
    assert refused.status == 401 and 'revoked' in refused.body['error']['message']
    assert hx.call('GET', '/v1/employees', stays_key).status == 200


def test_an_opd_with_a_machine_or_a_bridge_is_not_deleted(hx: Harness) -> None:
    setup_opd(hx, 'WITHMACHINE')
    setup_opd(hx, 'WITHBRIDGE')
    create(hx, '/v1/machines', machine_body('CKX0001', 'WITHMACHINE'))
    create(hx, '/v1/bridges', bridge_body('BR-1', 'WITHBRIDGE'))
    assert hx.call('DELETE', '/v1/opds/WITHMACHINE', hx.super_key).status == 409
    assert hx.call('DELETE', '/v1/opds/WITHBRIDGE', hx.super_key).status == 409


def test_an_opd_that_is_another_opds_parent_is_not_deleted(hx: Harness) -> None:
    # Given a kecamatan with a kelurahan under it
    setup_opd(hx, 'KEC', kind='kecamatan')
    setup_opd(hx, 'KEL', kind='kelurahan', parent_opd_id='KEC')
    # When the kecamatan is deleted; Then it is refused, so the kelurahan's parent never dangles
    reply = hx.call('DELETE', '/v1/opds/KEC', hx.super_key)
    assert reply.status == 409 and 'KEL' in reply.body['error']['message']
    assert hx.call('PATCH', '/v1/opds/KEL', hx.super_key, {'name': 'Kelurahan Baru'}).status == 200


# --- employees -----------------------------------------------------------------------------------


def test_an_employee_is_created_with_a_server_id_and_read_back(hx: Harness) -> None:
    setup_opd(hx)
    created = create(hx, '/v1/employees', employee_body('OPDA', 1, golongan='III/b'))
    assert created['employee_id'].startswith('emp-') and created['version'] == 0
    got = hx.call('GET', f'/v1/employees/{created["employee_id"]}', hx.super_key).body
    assert got == created
    assert nip_owner(nip(1)) == created['employee_id']


def test_a_tkk_employee_is_identified_by_nik_and_has_no_nip(hx: Harness) -> None:
    setup_opd(hx)
    body = employee_body('OPDA', 1, employee_type='TKK', nip=None, nik='7371011503850001', kelas_jabatan=1)
    created = create(hx, '/v1/employees', body)
    assert (created['nip'], created['nik']) == (None, '7371011503850001')


def test_patching_an_employee_keeps_other_fields_and_checks_the_whole(hx: Harness) -> None:
    # Given an employee
    setup_opd(hx)
    emp = create(hx, '/v1/employees', employee_body('OPDA', 1))
    path = f'/v1/employees/{emp["employee_id"]}'
    # When its jabatan is patched, and then it is patched into an invalid whole (PNS without NIP)
    ok = hx.call('PATCH', path, hx.super_key, {'jabatan': 'Kepala Seksi', 'kelas_jabatan': 9})
    invalid = hx.call('PATCH', path, hx.super_key, {'nip': None})
    # Then the first is stored at version 1 with the rest intact, and the second refused
    assert (ok.status, ok.body['jabatan'], ok.body['name'], ok.body['version']) == (200, 'Kepala Seksi', emp['name'], 1)
    assert invalid.status == 422 and 'need an 18-digit NIP' in invalid.body['error']['fields'][0]['message']
    assert hx.call('GET', path, hx.super_key).body['version'] == 1


def test_changing_a_nip_releases_the_old_one_for_reuse(hx: Harness) -> None:
    # Given an employee holding NIP 1
    setup_opd(hx)
    emp = create(hx, '/v1/employees', employee_body('OPDA', 1))
    # When the NIP is corrected to NIP 2
    reply = hx.call('PATCH', f'/v1/employees/{emp["employee_id"]}', hx.super_key, {'nip': nip(2)})
    # Then NIP 2 belongs to the employee, NIP 1 is free, and a new employee can take NIP 1
    assert reply.status == 200 and reply.body['nip'] == nip(2)
    assert (nip_owner(nip(1)), nip_owner(nip(2))) == (None, emp['employee_id'])
    assert create(hx, '/v1/employees', employee_body('OPDA', 1))['nip'] == nip(1)


def test_an_employee_moves_between_opds_only_to_an_existing_one(hx: Harness) -> None:
    setup_opd(hx, 'OPDA')
    setup_opd(hx, 'OPDB')
    emp = create(hx, '/v1/employees', employee_body('OPDA', 1))
    path = f'/v1/employees/{emp["employee_id"]}'
    assert hx.call('PATCH', path, hx.super_key, {'opd_id': 'NOPE'}).status == 422
    assert hx.call('PATCH', path, hx.super_key, {'opd_id': 'OPDB'}).body['opd_id'] == 'OPDB'
    listed = hx.call('GET', '/v1/employees?opd=OPDB', hx.super_key).body['items']
    assert [e['employee_id'] for e in listed] == [emp['employee_id']]


def test_deleting_an_employee_deactivates_it_and_keeps_its_nip(hx: Harness) -> None:
    # Given an employee
    setup_opd(hx)
    emp = create(hx, '/v1/employees', employee_body('OPDA', 1))
    # When it is deleted
    reply = hx.call('DELETE', f'/v1/employees/{emp["employee_id"]}', hx.super_key)
    # Then it is kept, inactive, and its NIP is still taken (history must stay explainable)
    assert reply.status == 200 and reply.body['active'] is False
    assert hx.call('GET', f'/v1/employees/{emp["employee_id"]}', hx.super_key).body['active'] is False
    assert nip_owner(nip(1)) == emp['employee_id']
    assert hx.call('POST', '/v1/employees', hx.super_key, employee_body('OPDA', 1)).status == 409


def test_an_opd_admin_manages_employees_of_its_own_opd(hx: Harness) -> None:
    setup_opd(hx)
    admin = hx.make_key('opd_admin', 'OPDA')
    emp = create(hx, '/v1/employees', employee_body('OPDA', 1), key=admin)
    reply = hx.call('PATCH', f'/v1/employees/{emp["employee_id"]}', admin, {'unit': 'Sekretariat'})
    assert reply.status == 200 and reply.body['unit'] == 'Sekretariat'


# --- listing -------------------------------------------------------------------------------------


def test_paging_through_120_employees_visits_each_exactly_once(hx: Harness) -> None:
    # Given 120 employees across two OPDs, written in a few transactions
    setup_opd(hx, 'OPDA')
    setup_opd(hx, 'OPDB')
    deps = get_deps()
    employees = [
        Employee.model_validate({**employee_body('OPDA' if n % 3 else 'OPDB', n), 'employee_id': f'emp-{n:04d}'})
        for n in range(1, 121)
    ]
    for start in range(0, 120, 40):
        deps.store.commit([w for e in employees[start : start + 40] for w in employee_writes(deps, e)], None)
    # When all are listed 50 at a time
    seen: list[str] = []
    pages: list[int] = []
    path = '/v1/employees?limit=50'
    while True:
        body = hx.call('GET', path, hx.super_key).body
        seen += [e['employee_id'] for e in body['items']]
        pages.append(body['count'])
        if body['next_cursor'] is None:
            break
        path = f'/v1/employees?limit=50&cursor={body["next_cursor"]}'
    # Then each employee appears exactly once, in pages of at most 50
    assert sorted(seen) == sorted(e.employee_id for e in employees) and len(seen) == len(set(seen)) == 120
    assert pages[:2] == [50, 50] and sum(pages) == 120


def test_the_opd_filter_pages_only_that_opds_employees(hx: Harness) -> None:
    # Given 7 employees in OPDA and 3 in OPDAB (a name that starts like OPDA)
    setup_opd(hx, 'OPDA')
    setup_opd(hx, 'OPDAB')
    for n in range(1, 11):
        create(hx, '/v1/employees', employee_body('OPDA' if n <= 7 else 'OPDAB', n))
    # When OPDA is listed 3 at a time
    seen: list[str] = []
    cursor = ''
    while True:
        body = hx.call('GET', f'/v1/employees?opd=OPDA&limit=3{cursor}', hx.super_key).body
        seen += [e['opd_id'] for e in body['items']]
        if not body['next_cursor']:
            break
        cursor = f'&cursor={body["next_cursor"]}'
    # Then exactly OPDA's seven appear
    assert seen == ['OPDA'] * 7


# --- machines and PIN mappings -------------------------------------------------------------------


def test_a_machine_takes_its_opds_time_zone_unless_given_one(hx: Harness) -> None:
    setup_opd(hx, 'OPDA', zone='Asia/Jayapura')
    default = create(hx, '/v1/machines', machine_body('CKX0001', 'OPDA'))
    explicit = create(hx, '/v1/machines', machine_body('CKX0002', 'OPDA', zone='Asia/Jakarta'))
    assert (default['zone'], explicit['zone']) == ('Asia/Jayapura', 'Asia/Jakarta')
    assert hx.call('GET', '/v1/machines/CKX0001', hx.super_key).body['zone'] == 'Asia/Jayapura'


def test_a_machine_serial_is_registered_once(hx: Harness) -> None:
    setup_opd(hx)
    create(hx, '/v1/machines', machine_body('CKX0001', 'OPDA'))
    again = hx.call('POST', '/v1/machines', hx.super_key, machine_body('CKX0001', 'OPDA', name='Lagi'))
    assert again.status == 409 and 'CKX0001' in again.body['error']['message']


def test_a_machine_in_an_unknown_opd_or_bridge_is_refused(hx: Harness) -> None:
    setup_opd(hx)
    no_opd = hx.call('POST', '/v1/machines', hx.super_key, machine_body('CKX0001', 'NOPE'))
    no_bridge = hx.call('POST', '/v1/machines', hx.super_key, machine_body('CKX0001', 'OPDA', bridge_id='BR-NOPE'))
    assert no_opd.body['error']['fields'][0]['path'] == 'opd_id'
    assert no_bridge.body['error']['fields'][0]['path'] == 'bridge_id'


def test_overlapping_pin_mappings_conflict_and_ending_one_frees_the_pin(hx: Harness) -> None:
    # Given a machine whose PIN 12 maps to employee 1 from 1 January, open-ended
    setup_opd(hx)
    first = create(hx, '/v1/employees', employee_body('OPDA', 1))['employee_id']
    second = create(hx, '/v1/employees', employee_body('OPDA', 2))['employee_id']
    create(hx, '/v1/machines', machine_body('CKX0001', 'OPDA'))
    create(hx, '/v1/machines/CKX0001/pins', {'pin': '12', 'employee_id': first, 'valid_from': '2026-01-01'})
    # When PIN 12 is mapped to employee 2 from 1 March
    clash = hx.call('POST', '/v1/machines/CKX0001/pins', hx.super_key,
                    {'pin': '12', 'employee_id': second, 'valid_from': '2026-03-01'})  # fmt: skip
    # Then it conflicts, naming the current holder
    assert clash.status == 409 and first in clash.body['error']['message']
    # When the first mapping is ended on 28 February
    ended = hx.call('PATCH', '/v1/machines/CKX0001/pins/12/2026-01-01', hx.super_key, {'valid_to': '2026-02-28'})
    assert ended.status == 200 and ended.body['valid_to'] == '2026-02-28'
    # Then employee 2 can take PIN 12 from 1 March, and the machine lists both periods
    create(hx, '/v1/machines/CKX0001/pins', {'pin': '12', 'employee_id': second, 'valid_from': '2026-03-01'})
    pins = hx.call('GET', '/v1/machines/CKX0001/pins', hx.super_key).body['items']
    assert [(p['employee_id'], p['valid_from'], p['valid_to']) for p in pins] == [
        (first, '2026-01-01', '2026-02-28'),
        (second, '2026-03-01', None),
    ]


def test_a_pin_mapping_cannot_be_extended_over_a_later_one_or_changed_beyond_its_end(hx: Harness) -> None:
    # Given PIN 12 mapped to employee 1 in January and employee 2 from February
    setup_opd(hx)
    first = create(hx, '/v1/employees', employee_body('OPDA', 1))['employee_id']
    second = create(hx, '/v1/employees', employee_body('OPDA', 2))['employee_id']
    create(hx, '/v1/machines', machine_body('CKX0001', 'OPDA'))
    create(hx, '/v1/machines/CKX0001/pins',
           {'pin': '12', 'employee_id': first, 'valid_from': '2026-01-01', 'valid_to': '2026-01-31'})  # fmt: skip
    create(hx, '/v1/machines/CKX0001/pins', {'pin': '12', 'employee_id': second, 'valid_from': '2026-02-01'})
    # When January's mapping is reopened, or its employee changed
    reopened = hx.call('PATCH', '/v1/machines/CKX0001/pins/12/2026-01-01', hx.super_key, {'valid_to': None})
    reassigned = hx.call('PATCH', '/v1/machines/CKX0001/pins/12/2026-01-01', hx.super_key, {'employee_id': second})
    # Then reopening overlaps February's (409) and only valid_to may change (422)
    assert reopened.status == 409 and second in reopened.body['error']['message']
    assert reassigned.status == 422 and reassigned.body['error']['fields'][0]['path'] == 'employee_id'


def test_a_pin_mapping_made_in_error_is_deleted(hx: Harness) -> None:
    setup_opd(hx)
    emp = create(hx, '/v1/employees', employee_body('OPDA', 1))['employee_id']
    create(hx, '/v1/machines', machine_body('CKX0001', 'OPDA'))
    create(hx, '/v1/machines/CKX0001/pins', {'pin': '12', 'employee_id': emp, 'valid_from': '2026-01-01'})
    assert hx.call('DELETE', '/v1/machines/CKX0001/pins/12/2026-01-01', hx.super_key).status == 200
    assert hx.call('GET', '/v1/machines/CKX0001/pins', hx.super_key).body['items'] == []
    assert hx.call('DELETE', '/v1/machines/CKX0001/pins/12/2026-01-01', hx.super_key).status == 404


def test_a_pin_must_map_to_a_known_employee(hx: Harness) -> None:
    setup_opd(hx)
    create(hx, '/v1/machines', machine_body('CKX0001', 'OPDA'))
    reply = hx.call('POST', '/v1/machines/CKX0001/pins', hx.super_key,
                    {'pin': '12', 'employee_id': 'emp-nope', 'valid_from': '2026-01-01'})  # fmt: skip
    assert reply.status == 422 and reply.body['error']['fields'][0]['path'] == 'employee_id'


# --- bridges -------------------------------------------------------------------------------------


def test_a_new_bridge_key_lists_the_machines_that_bridge_collects_from(hx: Harness) -> None:
    # Given a bridge, two machines it collects from, one it does not, and one decommissioned
    setup_opd(hx)
    bridge = create(hx, '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    for serial in ('CKX0001', 'CKX0002', 'CKX0004'):
        create(hx, '/v1/machines', machine_body(serial, 'OPDA', bridge_id='BR-1'))
    create(hx, '/v1/machines', machine_body('CKX0003', 'OPDA'))
    hx.call('DELETE', '/v1/machines/CKX0004', hx.super_key)
    # When the bridge asks with the key it was given at creation
    assert bridge['token'].startswith('hdr_') and bridge['key_id']
    reply = hx.call('GET', '/v1/bridge/machines', bridge['token'])
    # Then it sees exactly its active machines, and its key is a bridge key bound to it
    assert reply.status == 200
    assert sorted(m['serial'] for m in reply.body['items']) == ['CKX0001', 'CKX0002']
    me = hx.call('GET', '/v1/me/key', bridge['token']).body
    assert (me['role'], me['bridge_id'], me['opd_id']) == ('bridge', 'BR-1', None)


def test_a_bridge_key_is_shown_only_when_the_bridge_is_created(hx: Harness) -> None:
    setup_opd(hx)
    bridge = create(hx, '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    got = hx.call('GET', '/v1/bridges/BR-1', hx.super_key).body
    listed = hx.call('GET', '/v1/bridges', hx.super_key).body
    assert 'token' not in got and bridge['token'] not in str(listed)


def test_rotating_a_bridge_key_revokes_the_old_one(hx: Harness) -> None:
    # Given a bridge and its key
    setup_opd(hx)
    old = create(hx, '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    # When its key is rotated
    rotated = hx.call('POST', '/v1/bridges/BR-1/rotate-key', hx.super_key)
    # Then the new key works, the old one is refused, and the bridge names the new key
    assert rotated.status == 200 and rotated.body['token'] != old['token']
    assert hx.call('GET', '/v1/bridge/machines', rotated.body['token']).status == 200
    refused = hx.call('GET', '/v1/bridge/machines', old['token'])
    assert refused.status == 401 and 'revoked' in refused.body['error']['message']
    assert hx.call('GET', '/v1/bridges/BR-1', hx.super_key).body['key_id'] == rotated.body['key_id']


def test_retiring_a_bridge_revokes_its_key_and_blocks_rotation(hx: Harness) -> None:
    setup_opd(hx)
    bridge = create(hx, '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    retired = hx.call('DELETE', '/v1/bridges/BR-1', hx.super_key)
    assert retired.status == 200 and retired.body['active'] is False
    assert hx.call('GET', '/v1/bridge/machines', bridge['token']).status == 401
    assert hx.call('POST', '/v1/bridges/BR-1/rotate-key', hx.super_key).status == 409


def test_a_bridge_key_cannot_be_revoked_on_its_own(hx: Harness) -> None:
    setup_opd(hx)
    bridge = create(hx, '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    reply = hx.call('DELETE', f'/v1/keys/{bridge["key_id"]}', hx.super_key)
    assert reply.status == 409 and 'through their bridge' in reply.body['error']['message']


# --- keys ----------------------------------------------------------------------------------------


def test_a_key_token_is_shown_once_and_never_its_hash(hx: Harness) -> None:
    # Given a new auditor key
    created = create(hx, '/v1/keys', {'name': 'BPK auditor', 'role': 'auditor'})
    secret = created['token'].split('_', 2)[2]
    # When it is read one by one and in the listing
    got = hx.call('GET', f'/v1/keys/{created["key_id"]}', hx.super_key).body
    listed = hx.call('GET', '/v1/keys', hx.super_key).body
    # Then neither shows the token, its secret or the stored hash
    assert 'secret_hash' not in created
    for shown in (got, *listed['items']):
        assert 'token' not in shown and 'secret_hash' not in shown
    assert secret not in str(got) + str(listed)
    # And the stored record holds only a hash
    stored = get_deps().store.get(KIND_KEY, created['key_id'])
    assert stored is not None and secret not in str(stored.data) and len(stored.data['secret_hash']) == 64


def test_a_revoked_key_gets_401_from_then_on(hx: Harness) -> None:
    token = hx.make_key('auditor')
    key_id = token.split('_')[1]
    assert hx.call('GET', '/v1/me/key', token).status == 200
    revoked = hx.call('DELETE', f'/v1/keys/{key_id}', hx.super_key)
    assert revoked.status == 200 and revoked.body['active'] is False and revoked.body['revoked_at']
    assert hx.call('GET', '/v1/me/key', token).status == 401
    assert hx.call('GET', f'/v1/keys/{key_id}', hx.super_key).body['active'] is False


def test_a_key_cannot_revoke_itself(hx: Harness) -> None:
    own_id = hx.super_key.split('_')[1]
    reply = hx.call('DELETE', f'/v1/keys/{own_id}', hx.super_key)
    assert reply.status == 409 and 'cannot revoke itself' in reply.body['error']['message']
    assert hx.call('GET', '/v1/me/key', hx.super_key).status == 200


def test_last_used_time_is_set_once_a_key_is_used(hx: Harness) -> None:
    # Given a fresh key
    token = hx.make_key('finance')
    key_id = token.split('_')[1]
    assert hx.call('GET', f'/v1/keys/{key_id}', hx.super_key).body['last_used_at'] is None
    # When it makes a call
    hx.call('GET', '/v1/me/key', token)
    # Then its last-used time is recorded, after its creation
    key = hx.call('GET', f'/v1/keys/{key_id}', hx.super_key).body
    assert key['last_used_at'] is not None and key['last_used_at'] >= key['created_at']


def test_an_opd_admin_key_names_its_opd_and_is_scoped_to_it(hx: Harness) -> None:
    setup_opd(hx)
    token = hx.make_key('opd_admin', 'OPDA')
    me = hx.call('GET', '/v1/me/key', token).body
    assert (me['role'], me['opd_id']) == ('opd_admin', 'OPDA')
    unbound = hx.call('POST', '/v1/keys', hx.super_key, {'name': 'x y', 'role': 'auditor', 'opd_id': 'OPDA'})
    assert unbound.status == 422 and unbound.body['error']['fields'][0]['path'] == 'opd_id'


# --- pemda and holidays ----------------------------------------------------------------------------


def test_pemda_settings_are_replaced_whole_and_read_back(hx: Harness) -> None:
    pemda = {'name': 'Kota Makassar', 'code': 'KOTA-MKS', 'zone': 'Asia/Makassar', 'province': 'Sulawesi Selatan'}
    assert hx.call('GET', '/v1/pemda', hx.super_key).status == 404
    assert hx.call('PUT', '/v1/pemda', hx.super_key, pemda).status == 200
    assert hx.call('PUT', '/v1/pemda', hx.super_key, {**pemda, 'name': 'Kota Makassar Baru'}).status == 200
    # the payroll days left out take their defaults (services.month_end)
    expected = {**pemda, 'name': 'Kota Makassar Baru', 'tpp_close_day': 2, 'tpp_export_day': 2}
    assert hx.call('GET', '/v1/pemda', hx.super_key).body == expected


def test_holidays_are_listed_by_year(hx: Harness) -> None:
    for day in ('2026-08-17', '2027-01-01'):
        create(hx, '/v1/holidays', {'day': day, 'name': 'Libur Nasional', 'kind': 'national'})
    dup = hx.call('POST', '/v1/holidays', hx.super_key, {'day': '2026-08-17', 'name': 'Lagi', 'kind': 'national'})
    listed = hx.call('GET', '/v1/holidays?year=2026', hx.super_key).body['items']
    assert dup.status == 409
    assert [h['day'] for h in listed] == ['2026-08-17']
