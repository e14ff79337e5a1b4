"""Every route in the registry, called by every kind of caller, against another OPD's records.

The walk is driven by chalicelib.api.routing.REGISTRY: a new route is checked the day it is declared.
A route whose path has a parameter this file has no sample for fails the walk until one is added.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.api.routing import JSON, REGISTRY, RouteSpec
from chalicelib.domain.tpp.defaults import TKK_EXAMPLE
from tests.integration.builders import bridge_body, employee_body, machine_body, opd_body
from tests.support import Harness, Reply

ROLES = ('super', 'opd_admin', 'auditor', 'finance', 'bridge')
# Path parameters that name a record owned by an OPD: an opd_admin of another OPD must be refused.
OPD_OWNED_PARAMS = {'opd_id', 'employee_id', 'serial', 'pin', 'valid_from', 'bridge_id', 'status_id', 'assignment_id'}
PEMDA = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': 'Asia/Makassar', 'province': 'Sulawesi Selatan'}
# Routes that no caller can make succeed against the fixture, and why: still, they must get past authorization.
KNOWN_REFUSALS = {
    ('DELETE', '/v1/opds/{opd_id}'): (409, 'OPD B still has staff, machines and a bridge'),
    ('POST', '/v1/bridge/backfills/{request_id}'): (404, 'no backfill was requested in this walk'),
    ('POST', '/v1/outages/{outage_id}/decision'): (404, 'no outage was proposed for that day in this walk'),
    ('PUT', '/v1/outages/{outage_id}/manual-list'): (404, 'no outage was proposed for that day in this walk'),
    ('GET', '/v1/outages/{outage_id}/manual-list'): (404, 'no outage was proposed for that day in this walk'),
    ('POST', '/v1/outages/{outage_id}/manual-list/decision'): (404, 'no manual list was entered in this walk'),
    ('POST', '/v1/checkins/{checkin_id}/review'): (404, 'no check-in waits for review in this walk'),
    ('POST', '/v1/alerts/{alert_id}/resolve'): (404, 'no enrolment raised a duplicate-face alert in this walk'),
    ('POST', '/v1/leave-requests/{request_id}/approve'): (404, 'no phone asked for leave in this walk'),
    ('POST', '/v1/employees/{employee_id}/enrolment/reset'): (404, 'no phone was activated in this walk'),
    ('GET', '/v1/opds/{opd_id}/recap'): (404, 'no month was closed in this walk'),
    ('DELETE', '/v1/profiles/{profile_id}/versions/{version}'): (409, 'the walk publishes the draft it made'),
}


@dataclass
class Side:
    """One OPD and a record of every OPD-owned kind in it."""

    opd_id: str
    employee_id: str
    serial: str
    pin: str
    valid_from: str
    bridge_id: str
    bridge_token: str
    admin_token: str
    admin_key_id: str
    status_id: str
    assignment_id: str  # the employee's ROSTER assignment
    change_id: str  # the employee's upcoming change (a promotion in 2030), which the walk withdraws

    def param(self, name: str) -> str | None:
        values = {
            'opd_id': self.opd_id,
            'employee_id': self.employee_id,
            'serial': self.serial,
            'pin': self.pin,
            'valid_from': self.valid_from,
            'bridge_id': self.bridge_id,
            'key_id': self.admin_key_id,
            'request_id': f'bf-of-{self.bridge_id.lower()}',
            'outage_id': f'{self.opd_id}@2026-11-20',
            'checkin_id': f'chk-of-{self.opd_id.lower()}',
            'alert_id': f'alr-of-{self.opd_id.lower()}',
            'status_id': self.status_id,
            'month': '2026-01',
            'profile_id': 'matrix-tkk',  # drafted, then published, by the walk itself
            'version': '1',
            'assignment_id': self.assignment_id,
            'change_id': self.change_id,
            'year': '2026',
            'day': '2026-12-25',  # Natal: added by the holiday import, which is walked before deletions
            'kind': 'national',
        }
        return values.get(name)


@dataclass
class World:
    hx: Harness
    a: Side
    b: Side
    tokens: dict[str, str]
    revoked_token: str
    next_number: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)


def _created(reply: Reply) -> dict[str, Any]:
    assert reply.status in (200, 201), reply.body
    return dict(reply.body)


def build_side(hx: Harness, name: str, n: int) -> Side:
    opd_id, serial, bridge_id = f'OPD{name}', f'SN{name}0001', f'BR-{name}'
    _created(hx.call('POST', '/v1/opds', hx.super_key, opd_body(opd_id)))
    employee = _created(hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd_id, n)))
    bridge = _created(hx.call('POST', '/v1/bridges', hx.super_key, bridge_body(bridge_id, opd_id)))
    _created(hx.call('POST', '/v1/machines', hx.super_key, machine_body(serial, opd_id, bridge_id=bridge_id)))
    pin = {'pin': '1', 'employee_id': employee['employee_id'], 'valid_from': '2026-01-01'}
    _created(hx.call('POST', f'/v1/machines/{serial}/pins', hx.super_key, pin))
    admin_body = {'name': f'admin {name}', 'role': 'opd_admin', 'opd_id': opd_id}
    admin = _created(hx.call('POST', '/v1/keys', hx.super_key, admin_body))
    leave = {'code': 'CT', 'first': '2026-02-02', 'last': '2026-02-03', 'reference': f'851/{n}/CT/2026'}
    status = _created(hx.call('POST', f'/v1/employees/{employee["employee_id"]}/statuses', hx.super_key, leave))
    rostered = {'employee_id': employee['employee_id'], 'kind': 'ROSTER', 'valid_from': '2026-01-01'}
    assignment = _created(hx.call('POST', '/v1/schedule-assignments', hx.super_key, rostered))
    promotion = {'effective_from': '2030-01-01', 'reason': 'PROMOSI', 'kelas_jabatan': 8}
    change = _created(hx.call('POST', f'/v1/employees/{employee["employee_id"]}/changes', hx.super_key, promotion))
    return Side(
        opd_id, employee['employee_id'], serial, pin['pin'], pin['valid_from'], bridge_id, bridge['token'],
        admin['token'], admin['key_id'], status['status_id'], assignment['assignment_id'], change['change_id'],
    )  # fmt: skip


def build_world(hx: Harness) -> World:
    _created(hx.call('PUT', '/v1/pemda', hx.super_key, PEMDA))
    a, b = build_side(hx, 'A', 1), build_side(hx, 'B', 2)
    revoked = _created(hx.call('POST', '/v1/keys', hx.super_key, {'name': 'former auditor', 'role': 'auditor'}))
    _created(hx.call('DELETE', f'/v1/keys/{revoked["key_id"]}', hx.super_key))
    tokens = {
        'super': hx.super_key,
        'opd_admin': a.admin_token,
        'auditor': hx.make_key('auditor'),
        'finance': hx.make_key('finance'),
        'bridge': a.bridge_token,
    }
    return World(hx, a, b, tokens, revoked['token'])


@pytest.fixture
def world(hx: Harness) -> World:
    return build_world(hx)


# --- requests built from a route's spec ------------------------------------------------------------

BodySample = Callable[[Side, int], dict[str, Any]]  # (side, a fresh number) -> body
BODY_SAMPLES: dict[tuple[str, str], BodySample] = {
    ('PUT', 'PemdaSettings'): lambda s, n: PEMDA,
    ('POST', 'UploadUrlRequest'): lambda s, n: {
        'batch_id': f'{n:032x}',
        'content_md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
        'content_length': 100,
        'record_count': 1,
    },
    ('POST', 'HeartbeatRequest'): lambda s, n: {'bridge_version': '1.0', 'machines': [{'serial': s.serial}]},
    ('POST', 'BackfillRequest'): lambda s, n: {'start': '2026-11-01 00:00:00', 'end': '2026-11-02 00:00:00'},
    ('POST', 'BackfillReport'): lambda s, n: {'state': 'done'},
    ('POST', 'OutageProposal'): lambda s, n: {
        'opd_id': s.opd_id,
        'day': f'2026-10-{1 + n % 28:02d}',
        'reason': 'listrik padam',
    },
    ('POST', 'OutageDecision'): lambda s, n: {'decision': 'confirm', 'reason': 'mesin rusak'},
    ('PUT', 'ManualListRequest'): lambda s, n: {
        'lines': [{'employee_id': s.employee_id, 'arrival': '07:25', 'departure': '16:05'}],
        'evidence': {'kind': 'signed_list_photo', 'references': ['daftar-hadir.jpg']},
    },
    ('POST', 'ManualListDecision'): lambda s, n: {'decision': 'approve', 'reason': 'daftar diperiksa'},
    ('POST', 'ReviewBody'): lambda s, n: {'decision': 'approve', 'reason': 'wajah cocok'},
    ('POST', 'ResetBody'): lambda s, n: {'reason': 'ganti ponsel'},
    ('POST', 'ResolveBody'): lambda s, n: {'decision': 'different_people', 'reason': 'kembar identik'},
    ('POST', 'ApproveBody'): lambda s, n: {'reference': f'SKD/{n}/2026'},
    ('POST', 'StatusRequest'): lambda s, n: {
        'code': 'DL',
        'first': (date(2026, 3, 1) + timedelta(days=n)).isoformat(),
        'last': (date(2026, 3, 1) + timedelta(days=n)).isoformat(),
        'reference': f'800/{n}/DL',
        'location': {
            'kind': 'circle',
            'name': 'Kantor Gubernur',
            'center': {'lat': -5.14, 'lon': 119.41},
            'radius_m': 200,
        },
    },
    ('POST', 'StatusCancellation'): lambda s, n: {'reason': 'surat tugas dibatalkan'},
    ('POST', 'WithdrawalRequest'): lambda s, n: {'note': 'SK promosi dibatalkan'},
    ('PUT', 'ScoreBatch'): lambda s, n: {'scores': [{'employee_id': s.employee_id, 'score': 80 + n % 20}]},
    ('POST', 'Opd'): lambda s, n: opd_body(f'OPDN{n}'),
    ('PATCH', 'Opd'): lambda s, n: {'name': f'Dinas renamed {n}'},
    ('POST', 'Employee'): lambda s, n: employee_body(s.opd_id, 100 + n),
    ('PATCH', 'Employee'): lambda s, n: {'jabatan': f'Kepala Seksi {n}'},
    ('POST', 'Machine'): lambda s, n: machine_body(f'MX{n:04d}', s.opd_id),
    ('PATCH', 'Machine'): lambda s, n: {'name': f'Mesin renamed {n}'},
    ('POST', 'PinMapping'): lambda s, n: {
        'pin': str(100 + n),
        'employee_id': s.employee_id,
        'valid_from': '2026-01-01',
    },
    ('PATCH', 'PinMapping'): lambda s, n: {'valid_to': f'2030-12-{n % 28 + 1:02d}'},
    ('POST', 'Bridge'): lambda s, n: bridge_body(f'BRN{n}', s.opd_id),
    ('PATCH', 'Bridge'): lambda s, n: {'name': f'Bridge renamed {n}'},
    ('POST', 'KeyCreate'): lambda s, n: {'name': f'matrix key {n}', 'role': 'auditor'},
    ('POST', 'ProfileDraftRequest'): lambda s, n: {'from_template': 'hadir-example-tkk', 'profile_id': 'matrix-tkk'},
    ('PUT', 'ProfileDraftBody'): lambda s, n: {
        **TKK_EXAMPLE,
        'profile_id': 'matrix-tkk',
        'legal_basis': f'Perbup Contoh No. {n} Tahun 2026 tentang honorarium TKK',
    },
    ('POST', 'PublishRequest'): lambda s, n: {'approval_note': 'Perbup contoh untuk uji matriks akses'},
    ('POST', 'WeekTemplate'): lambda s, n: {
        'code': f'TPL-{n}',
        'name': f'Template {n}',
        'days': [{'weekday': d, 'start': '08:00', 'end': '16:00'} for d in range(5)],
    },
    ('POST', 'AssignmentRequest'): lambda s, n: {
        'opd_id': s.opd_id,
        'unit': f'Unit {n}',
        'template_code': '6HK',
        'valid_from': '2026-01-01',
    },
    ('POST', 'AssignmentEnd'): lambda s, n: {'valid_to': f'2026-12-{n % 28 + 1:02d}'},
    ('PUT', 'ShiftCodesRequest'): lambda s, n: {
        'codes': [
            {'code': 'P', 'name': 'Pagi', 'start': '07:00', 'end': '14:00'},
            {'code': 'L', 'name': 'Libur', 'working': False},
        ],
    },
    ('PUT', 'RosterRequest'): lambda s, n: {'days': {'2026-01-05': 'P', '2026-01-06': 'L'}},
    ('PUT', 'RamadanRequest'): lambda s, n: {'start': '2026-02-19', 'end': '2026-03-20'},
    ('POST', 'HolidayImport'): lambda s, n: {'year': 2026},
    ('POST', 'Holiday'): lambda s, n: {
        'day': f'2027-01-{n % 28 + 1:02d}',
        'name': f'Libur {n}',
        'kind': 'regional',
    },
}
QUERY_SAMPLES: dict[str, Callable[[Side], str]] = {
    'opd': lambda s: s.opd_id,
    'year': lambda s: '2026',
    'month': lambda s: '2026-01',
    'date': lambda s: '2026-11-20',  # GET /v1/machines/summary
}


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any] | None
    filled: bool  # every part of the request is a valid sample, so an allowed caller should succeed
    scoped: bool  # the request names the side's OPD-owned records


def build_call(spec: RouteSpec, world: World, side: Side) -> Call:
    params = re.findall(r'{(\w+)}', spec.path)
    values = {name: side.param(name) for name in params}
    missing = [name for name, value in values.items() if value is None]
    assert not missing, f'{spec.method} {spec.path}: add a sample for path parameter(s) {missing} to Side.param'
    path = re.sub(r'{(\w+)}', lambda m: str(values[m.group(1)]), spec.path)
    query = [f'{q.name}={QUERY_SAMPLES[q.name](side)}' for q in spec.query if q.name in QUERY_SAMPLES]
    if query:
        path += '?' + '&'.join(query)
    body, filled = None, True
    if spec.body is not None:
        sample = BODY_SAMPLES.get((spec.method, spec.body.__name__))
        body = sample(side, world.next_number()) if sample else {}
        filled = sample is not None
    elif spec.body_types != (JSON,) and spec.method not in ('GET', 'DELETE'):
        filled = False  # an upload route: authorization is what is checked here, not file parsing
    scoped = bool(set(params) & OPD_OWNED_PARAMS) or any(q.name == 'opd' for q in spec.query)
    # A body names OPD-owned records itself, or in its entries (PUT /v1/scores/{month}).
    named = [body, *(body or {}).get('scores', [])] if body else []
    scoped = scoped or any('opd_id' in b or 'employee_id' in b for b in named)
    return Call(path, body, filled, scoped)


def send(world: World, spec: RouteSpec, call: Call, token: str | None) -> Reply:
    return world.hx.call(spec.method, call.path, token, call.body)


# --- the walk --------------------------------------------------------------------------------------


def _routes_in_walk_order() -> list[RouteSpec]:
    # Deletions go last so that they do not remove what later routes are called on.
    return sorted(REGISTRY, key=lambda s: s.method == 'DELETE')


def _check(problems: list[str], spec: RouteSpec, caller: str, reply: Reply, expected: str) -> bool:
    label = f'{spec.method} {spec.path} as {caller}'
    if reply.status >= 400:
        error = reply.body.get('error') if isinstance(reply.body, dict) else None
        if not (isinstance(error, dict) and {'code', 'message', 'request_id'} <= set(error)):
            problems.append(f'{label}: error body is not the one error shape: {reply.body}')
    if expected == 'unauthenticated' and reply.status != 401:
        problems.append(f'{label}: expected 401, got {reply.status} {reply.body}')
    elif expected == 'forbidden' and reply.status != 403:
        problems.append(f'{label}: expected 403, got {reply.status} {reply.body}')
    elif expected == 'allowed' and (reply.status in (401, 403) or reply.status >= 500):
        problems.append(f'{label}: expected to pass authorization, got {reply.status} {reply.body}')
    return 200 <= reply.status < 300


def _walk_route(world: World, spec: RouteSpec, problems: list[str]) -> None:
    on_b, on_a = build_call(spec, world, world.b), build_call(spec, world, world.a)
    if spec.device:
        # Signed by an activated phone's key (tests/integration/test_checkin.py): no API key opens these.
        for caller, token in [('no key', None), *world.tokens.items()]:
            _check(problems, spec, caller, send(world, spec, on_b, token), 'unauthenticated')
        return
    succeeded: list[tuple[str, int]] = []
    allowed = set(ROLES) if spec.public else set(spec.roles)
    unauthenticated = 'allowed' if spec.public else 'unauthenticated'
    _check(problems, spec, 'no key', send(world, spec, on_b, None), unauthenticated)
    _check(problems, spec, 'revoked key', send(world, spec, on_b, world.revoked_token), unauthenticated)
    for role in (r for r in ROLES if r not in allowed):
        _check(problems, spec, role, send(world, spec, on_b, world.tokens[role]), 'forbidden')
    if 'opd_admin' in allowed and on_b.scoped and not spec.public:
        _check(problems, spec, 'opd_admin of A on B', send(world, spec, on_b, world.tokens['opd_admin']), 'forbidden')
    for role in (r for r in ROLES if r in allowed):
        call = on_a if role == 'opd_admin' else on_b
        reply = send(world, spec, call, world.tokens[role])
        if _check(problems, spec, role, reply, 'allowed'):
            succeeded.append((role, reply.status))
        elif (spec.method, spec.path) in KNOWN_REFUSALS and reply.status != KNOWN_REFUSALS[(spec.method, spec.path)][0]:
            problems.append(f'{spec.method} {spec.path} as {role}: expected {KNOWN_REFUSALS[(spec.method, spec.path)]}')
        elif not call.filled and reply.status not in (400, 413, 415, 422):
            problems.append(f'{spec.method} {spec.path} as {role}: unfilled request should be a validation error')
    if on_b.filled and not succeeded and (spec.method, spec.path) not in KNOWN_REFUSALS:
        problems.append(f'{spec.method} {spec.path}: no allowed caller succeeded with a valid request')


def test_every_route_answers_every_caller_as_its_roles_and_opd_scope_say(world: World) -> None:
    # Given two OPDs with an employee, machine, PIN mapping and bridge each, and a key of every role
    problems: list[str] = []
    covered: set[tuple[str, str]] = set()
    # When every route is called by no key, a revoked key, every role, and OPD A's admin on OPD B's records
    for spec in _routes_in_walk_order():
        _walk_route(world, spec, problems)
        covered.add((spec.method, spec.path))
    # Then each answer matches the route's declared roles and OPD scope
    assert not problems, '\n'.join(problems)
    # And the walk covered every registered route, which are exactly the app's routes
    from app import app

    app_routes = {(m, p) for p, methods in app.routes.items() for m in methods}
    assert covered == {(s.method, s.path) for s in REGISTRY} == app_routes
    assert len(covered) >= 35


# --- the named cases, spelled out ----------------------------------------------------------


def test_opd_admin_gets_403_on_another_opds_employee_machine_and_audit_entries(world: World) -> None:
    # Given OPD A's admin key and OPD B's records
    admin, b = world.tokens['opd_admin'], world.b
    # When it reads B's employee, machine, PIN mappings, bridge and audit entries
    replies = [
        world.hx.call('GET', f'/v1/employees/{b.employee_id}', admin),
        world.hx.call('GET', f'/v1/machines/{b.serial}', admin),
        world.hx.call('GET', f'/v1/machines/{b.serial}/pins', admin),
        world.hx.call('GET', f'/v1/bridges/{b.bridge_id}', admin),
        world.hx.call('GET', f'/v1/audit?opd={b.opd_id}', admin),
        world.hx.call('GET', f'/v1/employees?opd={b.opd_id}', admin),
    ]
    # Then each is refused, naming the OPD the key is bound to
    assert [r.status for r in replies] == [403] * 6
    assert all('only act on OPD OPDA' in r.body['error']['message'] for r in replies)


def test_opd_admin_listings_without_a_filter_hold_only_its_own_opd(world: World) -> None:
    # Given records in OPD A and B
    admin = world.tokens['opd_admin']
    # When A's admin lists without naming an OPD
    employees = world.hx.call('GET', '/v1/employees', admin).body['items']
    machines = world.hx.call('GET', '/v1/machines', admin).body['items']
    bridges = world.hx.call('GET', '/v1/bridges', admin).body['items']
    opds = world.hx.call('GET', '/v1/opds', admin).body['items']
    audit = world.hx.call('GET', '/v1/audit', admin).body['items']
    # Then only OPD A appears
    assert {e['opd_id'] for e in employees + machines + bridges} == {'OPDA'}
    assert [o['opd_id'] for o in opds] == ['OPDA']
    assert audit and {e['opd_id'] for e in audit} == {'OPDA'}
    # While a super key sees both
    everyone = world.hx.call('GET', '/v1/employees', world.tokens['super']).body['items']
    assert {e['opd_id'] for e in everyone} == {'OPDA', 'OPDB'}


def test_opd_admin_cannot_write_into_another_opd_through_a_body_field(world: World) -> None:
    # Given OPD A's admin and A's own employee and machine
    hx, admin, a, b = world.hx, world.tokens['opd_admin'], world.a, world.b
    # When it creates an employee in B, moves its employee to B, maps B's employee onto its machine,
    # or attaches its machine to B's bridge
    replies = [
        hx.call('POST', '/v1/employees', admin, employee_body(b.opd_id, 500)),
        hx.call('PATCH', f'/v1/employees/{a.employee_id}', admin, {'opd_id': b.opd_id}),
        hx.call('POST', f'/v1/machines/{a.serial}/pins', admin,
                {'pin': '77', 'employee_id': b.employee_id, 'valid_from': '2026-02-01'}),
        hx.call('PATCH', f'/v1/machines/{a.serial}', admin, {'bridge_id': b.bridge_id}),
    ]  # fmt: skip
    # Then every attempt is forbidden and A's records are unchanged
    assert [r.status for r in replies] == [403, 403, 403, 403]
    assert hx.call('GET', f'/v1/employees/{a.employee_id}', admin).body['opd_id'] == a.opd_id
    assert hx.call('GET', f'/v1/machines/{a.serial}', admin).body['bridge_id'] == a.bridge_id
    assert [p['pin'] for p in hx.call('GET', f'/v1/machines/{a.serial}/pins', admin).body['items']] == ['1']


def test_a_role_outside_the_route_is_refused_before_its_request_is_examined(world: World) -> None:
    # Given keys whose roles a route does not list
    hx = world.hx
    # When they send broken requests (bad JSON, a wrong Content-Type, a missing required query)
    replies = [
        hx.call('POST', '/v1/employees', world.tokens['finance'], raw='{not json'),
        hx.call('POST', '/v1/opds', world.tokens['auditor'], raw='x', headers={'Content-Type': 'text/plain'}),
        hx.call('GET', '/v1/holidays', world.tokens['finance']),
        hx.call('PATCH', f'/v1/employees/{world.a.employee_id}', world.tokens['bridge'], raw='[]'),
    ]
    # Then the answer is 403 in every case: the request's flaws are none of their business
    assert [(r.status, r.body['error']['code']) for r in replies] == [(403, 'forbidden')] * 4


def test_a_forged_secret_for_a_real_key_id_is_refused_like_an_unknown_key(world: World) -> None:
    # Given a real key's id with someone else's secret, and a key id that does not exist
    real_id = world.tokens['auditor'].split('_')[1]
    forged = f'hdr_{real_id}_{world.tokens["finance"].split("_", 2)[2]}'
    unknown = f'hdr_{"a" * 13}_{world.tokens["finance"].split("_", 2)[2]}'
    # When each calls the API; Then both get the same 401
    replies = [world.hx.call('GET', '/v1/me/key', token) for token in (forged, unknown)]
    assert [(r.status, r.body['error']['message']) for r in replies] == [(401, 'API key is not valid')] * 2
