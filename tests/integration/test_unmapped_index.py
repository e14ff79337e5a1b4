"""Punches whose PIN has no mapping wait in the ledger's sparse ``unmapped`` index (keys only, by machine):
the punch's one write puts it there, the listing and the later mapping read it, the mapping takes it out."""

from __future__ import annotations

import json

from chalicelib.adapters.dynamodb.items import PunchItem
from chalicelib.ports import WaitingPunch
from chalicelib.services.common import all_records
from chalicelib.services.ingest import KIND_UNMAPPED
from chalicelib.wiring import get_deps
from tests.integration.builders import employee_body
from tests.integration.test_ingest import SERIAL, Site, punch, reconcile, site, upload
from tests.support import Harness

__all__ = ['site']  # the fixture, shared with test_ingest


def test_an_unmapped_punch_is_one_ledger_item_in_the_sparse_index_until_mapped(hx: Harness, site: Site) -> None:
    # Given an upload with a mapped punch (PIN 7) and two of PIN 99, which no mapping covers
    lines = [punch('7', '2026-11-20 07:41:10'), punch('99', '2026-11-20 07:45:00'), punch('99', '2026-11-20 16:10:00')]
    upload(hx, site.bridge_token, [json.dumps(line) for line in lines])
    first = reconcile()
    assert (first['accepted'], first['unmapped']) == (1, 2)
    assert reconcile()['uploads'] == 0  # the second run finds nothing new
    # Then the two wait in the index, no directory record was written for them, and the mapped one is not there
    waiting = get_deps().ledger.unmapped(SERIAL)
    assert sorted(w.punch_id for w in waiting) == sorted(line['id'] for line in lines[1:])
    assert {(w.serial, w.pin, w.local_date.isoformat()) for w in waiting} == {(SERIAL, '99', '2026-11-20')}
    assert all(isinstance(w, WaitingPunch) for w in waiting)
    assert list(all_records(get_deps().store, KIND_UNMAPPED)) == []
    assert PunchItem.get(lines[0]['id']).unmapped_serial is None
    # And the machine screen's listing counts them
    listing = hx.call('GET', '/v1/opds/DINKES/unmapped-pins', hx.super_key)
    assert [(i['pin'], i['punches']) for i in listing.body['items']] == [('99', 2)]
    # When PIN 99 is mapped and reconcile runs
    newcomer = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DINKES', 2)).body
    mapping = {'pin': '99', 'employee_id': newcomer['employee_id'], 'valid_from': '2026-11-01'}
    assert hx.call('POST', f'/v1/machines/{SERIAL}/pins', hx.super_key, mapping).status == 201
    assert reconcile()['mapped_later'] == 2
    # Then both belong to the employee and left the index
    assert get_deps().ledger.unmapped(SERIAL) == []
    assert {PunchItem.get(line['id']).employee_id for line in lines[1:]} == {newcomer['employee_id']}
    assert hx.call('GET', '/v1/opds/DINKES/unmapped-pins', hx.super_key).body['items'] == []
