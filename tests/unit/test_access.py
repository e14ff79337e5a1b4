from __future__ import annotations

import pytest

from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, authorize, can, scope_opd
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.models import Principal, Role

P = Permission
SUPER = Principal(key_id='k-super', role=Role.SUPER)
AUDITOR = Principal(key_id='k-audit', role=Role.AUDITOR)
FINANCE = Principal(key_id='k-fin', role=Role.FINANCE)
BRIDGE = Principal(key_id='k-bridge', role=Role.BRIDGE, bridge_id='BR-A')
ADMIN_A = Principal(key_id='k-a', role=Role.OPD_ADMIN, opd_id='OPDA')

# The issue's role table, written out permission by permission.
EXPECTED: dict[Role, set[Permission]] = {
    Role.SUPER: set(P) - {P.BRIDGE_SELF},
    Role.AUDITOR: {p for p in P if p.value.endswith(':read')},
    Role.OPD_ADMIN: {
        P.PEMDA_READ,
        P.OPD_READ,
        P.EMPLOYEE_READ,
        P.EMPLOYEE_WRITE,
        P.MACHINE_READ,
        P.MACHINE_WRITE,
        P.BRIDGE_READ,
        P.AUDIT_READ,
        P.CHECKIN_READ,  # issue 3: the OPD's admins review their own staff's flagged check-ins
        P.CHECKIN_WRITE,
        P.STATUS_READ,  # issue 5: the OPD's admins record and cancel their own staff's leave and duty
        P.STATUS_WRITE,
        P.RECAP_READ,  # issue 5: "recap per OPD per month for admins", their own OPD's
        P.PROFILE_READ,  # issue 5: the OPD's admins read the rules their staff are priced by
        P.SCHEDULE_READ,  # issue 5: the OPD's admins keep their units', employees' schedules and rosters
        P.SCHEDULE_WRITE,
        P.SCORE_READ,  # issue 5: the OPD's admins import their own staff's e-kinerja scores
        P.SCORE_WRITE,
        P.DISCIPLINE_READ,  # issue 5: and read their own staff's PP 94 discipline alerts
    },  # fmt: skip
    Role.FINANCE: {P.EXPORT_READ},
    Role.BRIDGE: {P.BRIDGE_SELF},
}


@pytest.mark.parametrize('role', list(Role))
@pytest.mark.parametrize('permission', list(Permission))
def test_each_role_holds_exactly_the_permissions_the_issue_gives_it(role: Role, permission: Permission) -> None:
    # Given a key of the role; When it asks for the permission; Then it gets it only if the table says so
    principal = Principal(key_id='k', role=role, opd_id='OPDA' if role is Role.OPD_ADMIN else None)
    assert can(principal, permission) is (permission in EXPECTED[role])


def test_every_role_has_an_entry_and_no_role_can_write_keys_but_super() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert [r for r, perms in ROLE_PERMISSIONS.items() if P.KEY_WRITE in perms] == [Role.SUPER]


def test_auditor_can_read_everything_but_change_nothing() -> None:
    writes = [p for p in P if p.value.endswith(':write')]
    assert writes and not any(can(AUDITOR, p) for p in writes)


def test_opd_admin_acts_on_its_own_opd() -> None:
    # Given an opd_admin of OPDA; When it writes an OPDA employee; Then nothing is raised
    authorize(ADMIN_A, P.EMPLOYEE_WRITE, 'OPDA')


@pytest.mark.parametrize('opds', [('OPDB',), ('OPDA', 'OPDB'), ('OPDB', 'OPDA')])
def test_opd_admin_is_refused_when_any_opd_named_is_not_its_own(opds: tuple[str, ...]) -> None:
    # Given an opd_admin of OPDA; When it touches OPDB (e.g. moving an employee from A to B)
    # Then it is forbidden, and the message names both OPDs
    with pytest.raises(Forbidden, match='only act on OPD OPDA, not OPDB'):
        authorize(ADMIN_A, P.EMPLOYEE_WRITE, *opds)


def test_opd_admin_without_permission_is_refused_even_in_its_own_opd() -> None:
    with pytest.raises(Forbidden, match='may not opd:write'):
        authorize(ADMIN_A, P.OPD_WRITE, 'OPDA')


@pytest.mark.parametrize('principal', [SUPER, AUDITOR])
def test_unbound_roles_read_any_opd(principal: Principal) -> None:
    authorize(principal, P.EMPLOYEE_READ, 'OPDA', 'OPDB')


def test_a_missing_opd_does_not_widen_or_narrow_scope() -> None:
    # Given a record with no OPD (e.g. pemda settings); When an opd_admin reads it; Then it is allowed
    authorize(ADMIN_A, P.PEMDA_READ, None)


@pytest.mark.parametrize('principal', [FINANCE, BRIDGE])
def test_finance_and_bridge_keys_cannot_read_master_data(principal: Principal) -> None:
    with pytest.raises(Forbidden):
        authorize(principal, P.EMPLOYEE_READ, 'OPDA')


@pytest.mark.parametrize('requested', [None, 'OPDA'])
def test_opd_admin_listings_are_limited_to_its_own_opd(requested: str | None) -> None:
    assert scope_opd(ADMIN_A, P.EMPLOYEE_READ, requested) == 'OPDA'


def test_opd_admin_asking_for_another_opds_listing_is_refused() -> None:
    with pytest.raises(Forbidden):
        scope_opd(ADMIN_A, P.AUDIT_READ, 'OPDB')


@pytest.mark.parametrize('requested', [None, 'OPDB'])
def test_super_and_auditor_listings_follow_the_filter(requested: str | None) -> None:
    assert scope_opd(SUPER, P.EMPLOYEE_READ, requested) == requested
    assert scope_opd(AUDITOR, P.AUDIT_READ, requested) == requested


def test_scope_still_checks_the_permission() -> None:
    with pytest.raises(Forbidden):
        scope_opd(FINANCE, P.AUDIT_READ, None)
