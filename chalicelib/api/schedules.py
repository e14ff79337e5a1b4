"""Schedules and calendars: week templates, assignments, shift codes, rosters, Ramadan, the holiday import."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, page, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')
WRITERS = ('super', 'opd_admin')
SUPER = ('super',)


@route(bp, '/v1/schedule-templates', 'GET', summary='Week templates: the built-in ones of §8.4, then the pemda\'s',
       tag='schedule', roles=READERS)  # fmt: skip
def list_templates(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return page(schedules.list_templates(ctx.deps, ctx.principal), None)


@route(bp, '/v1/schedule-templates', 'POST', summary='Add a pemda week template (audited)', tag='schedule',
       roles=SUPER, body='chalicelib.domain.tpp.schedule:WeekTemplate', status=201, idempotent=True)  # fmt: skip
def create_template(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.create_template(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/schedule-assignments', 'POST',
       summary='Assign a schedule to an OPD, a unit of an OPD or an employee from a date (audited)', tag='schedule',
       roles=WRITERS, body='chalicelib.services.schedules:AssignmentRequest', status=201, idempotent=True)  # fmt: skip
def create_assignment(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.create_assignment(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/opds/{opd_id}/schedule-assignments', 'GET',
       summary="The schedule assignments of an OPD, its units and its employees", tag='schedule',
       roles=READERS)  # fmt: skip
def list_assignments(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return page(schedules.list_assignments(ctx.deps, ctx.principal, ctx.params['opd_id']), None)


@route(bp, '/v1/schedule-assignments/{assignment_id}/end', 'POST',
       summary='Set the last day a schedule assignment is in force (audited)', tag='schedule', roles=WRITERS,
       body='chalicelib.services.schedules:AssignmentEnd')  # fmt: skip
def end_assignment(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.end_assignment(ctx.deps, ctx.principal, ctx.params['assignment_id'], ctx.body)


@route(bp, '/v1/schedule-assignments/{assignment_id}', 'DELETE',
       summary='Remove a wrong schedule assignment (audited)', tag='schedule', roles=WRITERS)  # fmt: skip
def delete_assignment(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.delete_assignment(ctx.deps, ctx.principal, ctx.params['assignment_id'])


@route(bp, '/v1/opds/{opd_id}/shift-codes', 'PUT',
       summary="Replace an OPD's shift codes (P, S, M, L, LD…) and their hours (audited)", tag='schedule',
       roles=WRITERS, body='chalicelib.services.schedules:ShiftCodesRequest')  # fmt: skip
def put_shift_codes(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.put_shift_codes(ctx.deps, ctx.principal, ctx.params['opd_id'], ctx.body)


@route(bp, '/v1/opds/{opd_id}/shift-codes', 'GET', summary="An OPD's shift codes", tag='schedule',
       roles=READERS)  # fmt: skip
def get_shift_codes(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.get_shift_codes(ctx.deps, ctx.principal, ctx.params['opd_id'])


@route(bp, '/v1/employees/{employee_id}/rosters/{month}', 'PUT',
       summary="Store an employee's roster of a month, day → shift code (audited)", tag='schedule', roles=WRITERS,
       body='chalicelib.services.schedules:RosterRequest')  # fmt: skip
def put_roster(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    p = ctx.params
    return schedules.put_roster(ctx.deps, ctx.principal, p['employee_id'], p['month'], ctx.body)


@route(bp, '/v1/employees/{employee_id}/rosters/{month}', 'GET', summary="An employee's roster of a month",
       tag='schedule', roles=READERS)  # fmt: skip
def get_roster(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.get_roster(ctx.deps, ctx.principal, ctx.params['employee_id'], ctx.params['month'])


@route(bp, '/v1/ramadan/{year}', 'PUT', summary='Set the Ramadan period of a year (audited)', tag='schedule',
       roles=SUPER, body='chalicelib.services.schedules:RamadanRequest')  # fmt: skip
def put_ramadan(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.put_ramadan(ctx.deps, ctx.principal, ctx.params['year'], ctx.body)


@route(bp, '/v1/ramadan', 'GET', summary='The Ramadan periods, by year', tag='schedule', roles=READERS)
def list_ramadan(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return page(schedules.list_ramadan(ctx.deps, ctx.principal), None)


@route(bp, '/v1/holidays/import', 'POST',
       summary="Add a year's missing national holidays and cuti bersama from the holidays package (audited)",
       tag='pemda', roles=SUPER, body='chalicelib.services.schedules:HolidayImport')  # fmt: skip
def import_holidays(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.import_holidays_for(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/holidays/{day}/{kind}', 'DELETE',
       summary='Remove a wrong holiday (audited); the import does not bring it back', tag='pemda',
       roles=SUPER)  # fmt: skip
def remove_holiday(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.remove_holiday(ctx.deps, ctx.principal, ctx.params['day'], ctx.params['kind'])
