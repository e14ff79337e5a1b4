"""Who may do what: roles, permissions and OPD scope. Pure; the API edge asks it for every call."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.errors import Forbidden
from chalicelib.domain.models import Principal, Role


class Permission(StrEnum):
    PEMDA_READ = 'pemda:read'
    PEMDA_WRITE = 'pemda:write'
    OPD_READ = 'opd:read'
    OPD_WRITE = 'opd:write'
    EMPLOYEE_READ = 'employee:read'
    EMPLOYEE_WRITE = 'employee:write'
    MACHINE_READ = 'machine:read'
    MACHINE_WRITE = 'machine:write'
    BRIDGE_READ = 'bridge:read'
    BRIDGE_WRITE = 'bridge:write'
    KEY_READ = 'key:read'
    KEY_WRITE = 'key:write'
    AUDIT_READ = 'audit:read'
    EXPORT_READ = 'export:read'
    BRIDGE_SELF = 'bridge:self'
    CHECKIN_READ = 'checkin:read'  # review queue, alerts
    CHECKIN_WRITE = 'checkin:write'  # review decisions, activation codes, enrolment resets
    STATUS_READ = 'status:read'  # leave, duty, izin and sickness of employees
    STATUS_WRITE = 'status:write'  # record and cancel them (audited)
    RECAP_READ = 'recap:read'  # an OPD's closed month per employee (the finance file's figures)
    MONTH_CLOSE = 'month:close'  # have a past month closed again (a correction after the close)
    PROFILE_READ = 'profile:read'  # the TPP rule profiles, their versions and the shipped templates
    PROFILE_WRITE = 'profile:write'  # draft, replace, delete and publish versions (audited)
    SCHEDULE_READ = 'schedule:read'  # templates, assignments, shift codes, rosters, Ramadan periods
    SCHEDULE_WRITE = 'schedule:write'  # OPD-bound keys: their units', employees' and rosters' only
    SCORE_READ = 'score:read'  # monthly performance scores (e-kinerja)
    SCORE_WRITE = 'score:write'  # set or import them (audited)
    DISCIPLINE_READ = 'discipline:read'  # PP 94 discipline alerts raised at month close
    DISCIPLINE_WRITE = 'discipline:write'  # record hukuman disiplin decisions and their corrections (BKPSDM)


_READS = frozenset(p for p in Permission if p.value.endswith(':read'))

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SUPER: frozenset(Permission) - {Permission.BRIDGE_SELF},
    Role.AUDITOR: _READS,
    Role.OPD_ADMIN: frozenset(
        {
            Permission.PEMDA_READ,
            Permission.OPD_READ,
            Permission.EMPLOYEE_READ,
            Permission.EMPLOYEE_WRITE,
            Permission.MACHINE_READ,
            Permission.MACHINE_WRITE,
            Permission.BRIDGE_READ,
            Permission.AUDIT_READ,
            Permission.CHECKIN_READ,
            Permission.CHECKIN_WRITE,
            Permission.STATUS_READ,
            Permission.STATUS_WRITE,
            Permission.RECAP_READ,
            Permission.PROFILE_READ,
            Permission.SCHEDULE_READ,
            Permission.SCHEDULE_WRITE,
            Permission.SCORE_READ,
            Permission.SCORE_WRITE,
            Permission.DISCIPLINE_READ,
        }
    ),
    Role.FINANCE: frozenset({Permission.EXPORT_READ}),
    Role.BRIDGE: frozenset({Permission.BRIDGE_SELF}),
}

# Roles whose keys are bound to one OPD: every OPD-owned record they touch must be theirs.
OPD_BOUND_ROLES = frozenset({Role.OPD_ADMIN})


def can(principal: Principal, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[principal.role]


def authorize(principal: Principal, permission: Permission, *opd_ids: str | None) -> None:
    """Raise Forbidden unless the principal holds the permission for every OPD named."""
    if not can(principal, permission):
        raise Forbidden(f'role {principal.role} may not {permission}')
    if principal.role in OPD_BOUND_ROLES:
        for opd_id in opd_ids:
            if opd_id is not None and opd_id != principal.opd_id:
                raise Forbidden(f'this key may only act on OPD {principal.opd_id}, not {opd_id}')


def scope_opd(principal: Principal, permission: Permission, requested_opd: str | None) -> str | None:
    """The OPD a listing must be limited to: the caller's own for OPD-bound keys."""
    authorize(principal, permission, requested_opd)
    if principal.role in OPD_BOUND_ROLES:
        return principal.opd_id
    return requested_opd
