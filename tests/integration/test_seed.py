"""The demo pemda seed: a deterministic plan, written through the use cases and audited like the API."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import pytest
from moto import mock_aws

from chalicelib.adapters.clients import reset_clients
from chalicelib.adapters.dynamodb.tables import ensure_tables
from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import Employee, EmployeeType, Opd, Role
from chalicelib.domain.nip import parse_nip
from chalicelib.services import directory, keys
from chalicelib.services.audit import verify_audit
from chalicelib.services.common import KIND_BRIDGE, KIND_EMPLOYEE, KIND_MACHINE, KIND_OPD, Deps
from chalicelib.wiring import get_deps
from hadir_local.seed import DemoPlan, SeedSummary, demo_is_seeded, plan_demo, seed_demo

SEED = 2026
LAST_APPOINTMENT = (2026, 11)
KEY_RESOLUTION_SECONDS = 3600


@dataclass(frozen=True)
class Seeded:
    deps: Deps
    summary: SeedSummary
    plan: DemoPlan
    seeded_before: bool


@pytest.fixture(scope='module')
def seeded() -> Iterator[Seeded]:
    # One seed serves the whole module: ~500 audited transactions take tens of seconds on moto, whose
    # TransactWriteItems deep-copies the tables it touches. Otherwise this is the `aws` fixture of conftest.py.
    with mock_aws():
        ensure_tables()
        get_deps.cache_clear()
        reset_clients()
        deps = replace(get_deps(), random_bytes=random.Random(7).randbytes)
        before = demo_is_seeded(deps)
        summary = seed_demo(deps, seed=SEED)
        yield Seeded(deps, summary, plan_demo(SEED), before)
    get_deps.cache_clear()


@pytest.fixture(scope='module')
def plan() -> DemoPlan:
    return plan_demo(SEED)


def _all(deps: Deps, kind: str) -> list[dict[str, object]]:
    return [r.data for r in deps.store.list(kind, limit=1000).items]


# --- the pure plan ------------------------------------------------------------------------------


def test_the_same_seed_plans_the_same_people_in_the_same_order(plan: DemoPlan) -> None:
    # Given the plan for seed 2026
    # When it is planned again with the same seed
    again = plan_demo(SEED)
    # Then every employee, PIN and holiday is identical, in the same order
    assert [(e.name, e.nip, e.nik) for e in again.employees] == [(e.name, e.nip, e.nik) for e in plan.employees]
    assert again == plan


def test_another_seed_plans_other_people_for_the_same_offices(plan: DemoPlan) -> None:
    # Given the plan for seed 2026
    # When another seed is planned
    other = plan_demo(SEED + 1)
    # Then the offices and machines stay, but the people differ
    assert other.opds == plan.opds and other.machines == plan.machines
    assert [e.name for e in other.employees] != [e.name for e in plan.employees]


def test_the_plan_has_250_employees_of_all_three_types_across_every_opd(plan: DemoPlan) -> None:
    # Given the plan
    # When its employees are counted by type and OPD
    by_type = Counter(e.employee_type for e in plan.employees)
    by_opd = Counter(e.opd_id for e in plan.employees)
    # Then there are 250, most of them PNS, with PPPK and TKK present, and every OPD is staffed
    assert len(plan.employees) == 250
    assert by_type[EmployeeType.PNS] > by_type[EmployeeType.PPPK] > 0 and by_type[EmployeeType.TKK] > 0
    assert set(by_opd) == {o['opd_id'] for o in plan.opds}


def test_every_nip_is_valid_unique_and_issued_between_age_18_and_november_2026(plan: DemoPlan) -> None:
    # Given the PNS and PPPK staff of the plan
    asn = [e for e in plan.employees if e.employee_type is not EmployeeType.TKK]
    nips = [e.nip for e in asn if e.nip is not None]
    # When each NIP is parsed
    parts = [parse_nip(nip) for nip in nips]
    # Then every one has a NIP, none repeats, and each appointment is at least 18 years after birth and not later
    # than November 2026
    assert len(nips) == len(asn) == len(set(nips))
    for nip, p, employee in zip(nips, parts, asn, strict=True):
        assert p.is_pppk == (employee.employee_type is EmployeeType.PPPK), nip
        appointed = (p.appointment_year, p.appointment_month or 12)
        assert appointed >= (p.birth_date.year + 18, p.birth_date.month), nip
        assert appointed <= LAST_APPOINTMENT, nip


def test_tkk_staff_have_a_unique_nik_an_honorarium_and_no_nip_or_golongan(plan: DemoPlan) -> None:
    # Given the TKK staff of the plan
    tkk = [e for e in plan.employees if e.employee_type is EmployeeType.TKK]
    # When their identity and pay are read
    niks = [e.nik for e in tkk]
    # Then each has a distinct 16-digit NIK, no NIP or golongan, and an honorarium of 1-2.5 million rupiah
    assert all(nik is not None and len(nik) == 16 and nik.isdigit() for nik in niks)
    assert len(set(niks)) == len(niks)
    assert all(e.nip is None and e.golongan is None for e in tkk)
    assert all(1_000_000 <= e.tpp_ceiling <= 2_500_000 for e in tkk)


def test_asn_pay_and_golongan_follow_kelas_jabatan(plan: DemoPlan) -> None:
    # Given the PNS and PPPK staff of the plan
    asn = [e for e in plan.employees if e.employee_type is not EmployeeType.TKK]
    # When their TPP ceilings and golongan are read
    # Then the ceiling is 1.5-15 million rupiah and never falls as kelas rises; PNS hold I-IV, PPPK the roman grades
    assert all(1_500_000 <= e.tpp_ceiling <= 15_000_000 for e in asn)
    ceiling = {e.kelas_jabatan: e.tpp_ceiling for e in asn}
    assert [ceiling[k] for k in sorted(ceiling)] == sorted(ceiling.values())
    assert all(e.golongan and '/' in e.golongan for e in asn if e.employee_type is EmployeeType.PNS)
    assert all(e.golongan and '/' not in e.golongan for e in asn if e.employee_type is EmployeeType.PPPK)


def test_every_planned_record_passes_the_domain_models(plan: DemoPlan) -> None:
    # Given the planned OPDs and employees
    # When they are validated as the API would validate them
    opds = [Opd.model_validate(o) for o in plan.opds]
    employees = [Employee.model_validate({**e.body(), 'employee_id': f'emp-{i}'}) for i, e in enumerate(plan.employees)]
    # Then all pass, and the offices include the required kinds, a kelurahan under its kecamatan and a polygon site
    assert len(employees) == 250
    kinds = {o.kind.value for o in opds}
    assert {'setda', 'dinas', 'badan', 'kecamatan', 'kelurahan', 'puskesmas'} <= kinds
    kelurahan = next(o for o in opds if o.kind.value == 'kelurahan')
    assert next(o for o in opds if o.opd_id == kelurahan.parent_opd_id).kind.value == 'kecamatan'
    shapes = [loc for o in opds for loc in o.locations]
    assert any(loc.kind == 'polygon' and 4 <= len(loc.vertices) <= 6 for loc in shapes)
    assert all(50 <= loc.radius_m <= 150 for loc in shapes if loc.kind == 'circle')
    assert all(o.locations for o in opds)


def test_each_machine_gets_a_distinct_pin_for_every_employee_of_its_opd(plan: DemoPlan) -> None:
    # Given the planned machines and PIN mappings
    for machine in plan.machines:
        # When the PINs of one machine are collected
        pins = [p for p in plan.pins if p.serial == machine['serial']]
        staff = {i for i, e in enumerate(plan.employees) if e.opd_id == machine['opd_id']}
        # Then every employee of the machine's OPD has exactly one, and no PIN repeats on the machine
        assert {p.employee_index for p in pins} == staff and len(pins) == len(staff)
        assert len({p.pin for p in pins}) == len(pins)


def test_the_plan_holds_the_2026_national_holidays_and_cuti_bersama(plan: DemoPlan) -> None:
    # Given the planned holidays
    days = {(h['day'], h['kind']): h['name'] for h in plan.holidays}
    # When Independence Day and the Idul Fitri cuti bersama are looked up
    # Then both are present, named in Indonesian
    assert days[('2026-08-17', 'national')] == 'Hari Kemerdekaan Republik Indonesia'
    assert any(kind == 'cuti_bersama' and 'Idul Fitri' in name for (_, kind), name in days.items())
    assert all(date.fromisoformat(str(h['day'])).year == 2026 for h in plan.holidays)


# --- seeding through the use cases --------------------------------------------------------------


def test_seeding_marks_a_fresh_installation_as_seeded(seeded: Seeded) -> None:
    # Given an installation that had no pemda settings
    assert seeded.seeded_before is False
    # When the demo has been seeded
    # Then the installation reports itself seeded
    assert demo_is_seeded(seeded.deps)


def test_seeding_stores_the_planned_directory(seeded: Seeded) -> None:
    # Given a seeded installation
    deps, plan = seeded.deps, seeded.plan
    # When the directory is listed
    opds, employees = _all(deps, KIND_OPD), _all(deps, KIND_EMPLOYEE)
    machines, bridges = _all(deps, KIND_MACHINE), _all(deps, KIND_BRIDGE)
    # Then it holds the planned OPDs, people, machines and bridges, with every machine on one of the 3 bridges
    assert len(opds) >= 7 and len(employees) == 250
    assert Counter(e['employee_type'] for e in employees).keys() == {'PNS', 'PPPK', 'TKK'}
    assert sorted((e['name'], e.get('nip')) for e in employees) == sorted((e.name, e.nip) for e in plan.employees)
    assert len(machines) == 8 and len(bridges) == 3
    assert {m['bridge_id'] for m in machines} == {b['bridge_id'] for b in bridges}
    assert seeded.summary.counts == {
        'opds': len(opds),
        'employees': 250,
        'machines': 8,
        'bridges': 3,
        'pin_mappings': len(plan.pins),
        'holidays': len(plan.holidays),
        'rule_profiles': 1,
        'employee_changes': 1,
    }


def test_seeded_machines_resolve_every_pin_to_an_employee_of_their_opd(seeded: Seeded) -> None:
    # Given a seeded installation
    deps = seeded.deps
    employees = {str(e['employee_id']): e for e in _all(deps, KIND_EMPLOYEE)}
    for machine in seeded.plan.machines:
        # When the PIN mappings of a machine are read back
        mappings = directory.machine_pins(deps, machine['serial'])
        # Then each maps a distinct PIN to an employee of the machine's OPD from 1 January 2026
        assert len(mappings) == sum(1 for e in employees.values() if e['opd_id'] == machine['opd_id'])
        assert len({m.pin for m in mappings}) == len(mappings)
        assert all(employees[m.employee_id]['opd_id'] == machine['opd_id'] for m in mappings)
        assert all(m.valid_from == date(2026, 1, 1) and m.valid_to is None for m in mappings)


def test_seeded_holidays_include_independence_day(seeded: Seeded) -> None:
    # Given a seeded installation and its super key
    admin = keys.authenticate(seeded.deps, seeded.summary.admin_token, KEY_RESOLUTION_SECONDS)
    # When the 2026 holidays are listed through the use case
    listed = directory.list_holidays(seeded.deps, admin, 2026)
    # Then Independence Day is a national holiday and cuti bersama days are there too
    assert {'day': '2026-08-17', 'name': 'Hari Kemerdekaan Republik Indonesia', 'kind': 'national'} in listed
    assert any(h['kind'] == 'cuti_bersama' for h in listed)


def test_the_summary_tokens_authenticate_with_their_roles(seeded: Seeded) -> None:
    # Given the tokens the seed handed back
    summary, deps = seeded.summary, seeded.deps
    # When each is authenticated
    admin = keys.authenticate(deps, summary.admin_token, KEY_RESOLUTION_SECONDS)
    bridges = {b: keys.authenticate(deps, t, KEY_RESOLUTION_SECONDS) for b, t in summary.bridge_tokens.items()}
    opd_admins = {o: keys.authenticate(deps, t, KEY_RESOLUTION_SECONDS) for o, t in summary.opd_admin_tokens.items()}
    readers = {r: keys.authenticate(deps, t, KEY_RESOLUTION_SECONDS).role for r, t in summary.reader_tokens.items()}
    # Then the admin is super, each bridge key is bound to its bridge, and each OPD has one opd_admin key of its own
    assert admin.role is Role.SUPER
    assert all(p.role is Role.BRIDGE and p.bridge_id == b for b, p in bridges.items())
    assert set(opd_admins) == {o['opd_id'] for o in seeded.plan.opds}
    assert all(p.role is Role.OPD_ADMIN and p.opd_id == o for o, p in opd_admins.items())
    # And the console's reading roles have a key each
    assert readers == {'auditor': Role.AUDITOR, 'finance': Role.FINANCE}


def test_every_seeded_write_is_audited_and_the_chain_verifies(seeded: Seeded) -> None:
    # Given a seeded installation
    # When the audit chain is verified from its first entry
    report = verify_audit(seeded.deps)
    # Then it is intact and holds one entry per write
    assert report.ok, report
    assert report.checked == _seed_writes(seeded)


def test_seeding_an_already_seeded_installation_is_refused(seeded: Seeded) -> None:
    # Given a seeded installation
    # When the demo is seeded again
    # Then it is refused before anything is written
    with pytest.raises(Conflict, match='already seeded'):
        seed_demo(seeded.deps)
    assert verify_audit(seeded.deps).checked == _seed_writes(seeded)


def _seed_writes(seeded: Seeded) -> int:
    """The key bootstrap, the pemda, every record, each OPD admin and reader key, and each rule profile's
    publication after its draft."""
    counts, readers = seeded.summary.counts, len(seeded.summary.reader_tokens)
    return 1 + 1 + sum(counts.values()) + counts['opds'] + readers + counts['rule_profiles']
