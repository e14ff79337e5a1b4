"""GET /v1/actors: who acted, by name, for the console (a record keeps the key's id). Each caller gets the keys
whose actions it can read: BKPSDM and auditors all of them, an OPD admin their OPD's and the pemda-wide ones;
never a secret, nor when a key was last used."""

from __future__ import annotations

from tests.integration.builders import bridge_body, opd_body
from tests.support import Harness


def test_each_role_gets_the_names_of_the_keys_it_can_see_acting(hx: Harness) -> None:
    # Given two OPDs, an admin and a bridge of each, an auditor and finance, and a revoked admin of OPD A
    for opd in ('DINKES', 'BAPPEDA'):
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body(opd)).status == 201
        assert hx.call('POST', '/v1/bridges', hx.super_key, bridge_body(f'BR-{opd}', opd)).status == 201
    dinkes = hx.make_key('opd_admin', 'DINKES', name='Admin Dinas Kesehatan')
    hx.make_key('opd_admin', 'BAPPEDA', name='Admin Bappeda')
    auditor = hx.make_key('auditor', name='Inspektorat')
    finance = hx.make_key('finance', name='BPKAD')
    former = hx.call('POST', '/v1/keys', hx.super_key, {'name': 'Admin lama', 'role': 'opd_admin', 'opd_id': 'DINKES'})
    assert hx.call('DELETE', f'/v1/keys/{former.body["key_id"]}', hx.super_key).status == 200

    # When BKPSDM asks: every key, by name, role and OPD, revoked ones marked (their past actions keep a name)
    every = hx.call('GET', '/v1/actors', hx.super_key)
    assert every.status == 200, every.body
    named = {i['name']: (i['role'], i['opd_id'], i['active']) for i in every.body['items']}
    assert named['Admin Dinas Kesehatan'] == ('opd_admin', 'DINKES', True)
    assert named['Admin lama'] == ('opd_admin', 'DINKES', False)
    assert named['Admin Bappeda'] == ('opd_admin', 'BAPPEDA', True)
    assert named['Inspektorat'] == ('auditor', None, True)
    assert named['bridge BR-BAPPEDA'][:2] == ('bridge', 'BAPPEDA')
    assert every.body['count'] == len(every.body['items']) == len(named)
    # And nothing secret or operational leaves: only the five fields
    assert all(set(i) == {'key_id', 'name', 'role', 'opd_id', 'active'} for i in every.body['items'])
    assert hx.call('GET', '/v1/actors', auditor).body['items'] == every.body['items']

    # When DINKES's admin asks: their OPD's keys and the pemda-wide ones, none of BAPPEDA's
    own = hx.call('GET', '/v1/actors', dinkes)
    assert own.status == 200, own.body
    assert {i['opd_id'] for i in own.body['items']} == {None, 'DINKES'}
    assert {'Admin Dinas Kesehatan', 'Admin lama', 'bridge BR-DINKES', 'Inspektorat', 'BPKAD'} <= {
        i['name'] for i in own.body['items']
    }
    assert not {'Admin Bappeda', 'bridge BR-BAPPEDA'} & {i['name'] for i in own.body['items']}

    # And finance, a bridge and a caller without a key are refused
    assert hx.call('GET', '/v1/actors', finance).status == 403
    assert hx.call('GET', '/v1/actors').status == 401
