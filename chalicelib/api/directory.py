"""Master-data routes: pemda, OPD, employees, machines, PIN mappings, bridges, holidays."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, page, route, year_param

bp = Blueprint(__name__)
OPD_FILTER = (QueryParam('opd', 'only records of this OPD (opd_admin keys are always limited to their own)'),)
READERS = ('super', 'auditor', 'opd_admin')
WRITERS = ('super', 'opd_admin')
SUPER = ('super',)


@route(bp, '/v1/pemda', 'GET', summary='Pemda settings', tag='pemda', roles=READERS)
def get_pemda(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.get_pemda(ctx.deps, ctx.principal)


@route(bp, '/v1/pemda', 'PUT', summary='Replace pemda settings', tag='pemda', roles=SUPER,
       body='chalicelib.domain.models:PemdaSettings')  # fmt: skip
def put_pemda(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.put_pemda(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/opds', 'GET', summary='List OPD', tag='opd', roles=READERS, paginated=True)
def list_opds(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return page(*svc.list_opds(ctx.deps, ctx.principal, ctx.limit, ctx.cursor))


@route(bp, '/v1/opds', 'POST', summary='Create an OPD', tag='opd', roles=SUPER,
       body='chalicelib.domain.models:Opd', body_exclude=('version',),
       status=201, idempotent=True)  # fmt: skip
def create_opd(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.create_opd(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/opds/{opd_id}', 'GET', summary='One OPD', tag='opd', roles=READERS)
def get_opd(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.get_opd(ctx.deps, ctx.principal, ctx.params['opd_id'])


@route(bp, '/v1/opds/{opd_id}', 'PATCH', summary='Change an OPD', tag='opd', roles=SUPER,
       body='chalicelib.domain.models:Opd')  # fmt: skip
def update_opd(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.update_opd(ctx.deps, ctx.principal, ctx.params['opd_id'], ctx.body)


@route(bp, '/v1/opds/{opd_id}', 'DELETE', summary='Delete an empty OPD', tag='opd', roles=SUPER)
def delete_opd(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.delete_opd(ctx.deps, ctx.principal, ctx.params['opd_id'])


@route(
    bp,
    '/v1/employees',
    'GET',
    summary='List employees, or search them by part of the name, NIP prefix or employee id',
    tag='employee',
    roles=READERS,
    query=(
        *OPD_FILTER,
        QueryParam('q', 'part of the name (2+ characters, any case), a NIP or NIK prefix, or an employee id'),
    ),
    paginated=True,
)
def list_employees(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    listing = svc.list_employees(ctx.deps, ctx.principal, ctx.query('opd'), ctx.limit, ctx.cursor, ctx.query('q'))
    return page(*listing)


@route(bp, '/v1/employees', 'POST', summary='Create an employee', tag='employee', roles=WRITERS,
       body='chalicelib.domain.models:Employee',
       body_exclude=('employee_id', 'version'), status=201, idempotent=True)  # fmt: skip
def create_employee(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.create_employee(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/employees/{employee_id}', 'GET', summary='One employee', tag='employee', roles=READERS)
def get_employee(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.get_employee(ctx.deps, ctx.principal, ctx.params['employee_id'])


@route(
    bp,
    '/v1/employees/{employee_id}',
    'PATCH',
    summary='Change an employee',
    tag='employee',
    roles=WRITERS,
    body='chalicelib.domain.models:Employee',
)
def update_employee(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.update_employee(ctx.deps, ctx.principal, ctx.params['employee_id'], ctx.body)


@route(bp, '/v1/employees/{employee_id}', 'DELETE', summary='Deactivate an employee (history is kept)', tag='employee',
       roles=WRITERS)  # fmt: skip
def deactivate_employee(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.deactivate_employee(ctx.deps, ctx.principal, ctx.params['employee_id'])


@route(
    bp, '/v1/machines', 'GET', summary='List machines', tag='machine', roles=READERS, query=OPD_FILTER, paginated=True
)
def list_machines(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return page(*svc.list_machines(ctx.deps, ctx.principal, ctx.query('opd'), ctx.limit, ctx.cursor))


@route(bp, '/v1/machines', 'POST', summary='Register a machine', tag='machine', roles=WRITERS,
       body='chalicelib.domain.models:Machine',
       body_exclude=('version',), status=201, idempotent=True)  # fmt: skip
def create_machine(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.create_machine(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/machines/{serial}', 'GET', summary='One machine', tag='machine', roles=READERS)
def get_machine(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.get_machine(ctx.deps, ctx.principal, ctx.params['serial'])


@route(bp, '/v1/machines/{serial}', 'PATCH', summary='Change a machine', tag='machine', roles=WRITERS,
       body='chalicelib.domain.models:Machine')  # fmt: skip
def update_machine(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.update_machine(ctx.deps, ctx.principal, ctx.params['serial'], ctx.body)


@route(bp, '/v1/machines/{serial}', 'DELETE', summary='Decommission a machine', tag='machine', roles=WRITERS)
def decommission_machine(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.decommission_machine(ctx.deps, ctx.principal, ctx.params['serial'])


@route(bp, '/v1/machines/{serial}/pins', 'GET', summary="A machine's PIN mappings", tag='machine', roles=READERS)
def list_pins(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    items = svc.list_pin_mappings(ctx.deps, ctx.principal, ctx.params['serial'])
    return page(items, None)


@route(bp, '/v1/machines/{serial}/pins', 'POST', summary='Map a machine PIN to an employee from a date', tag='machine',
       roles=WRITERS, body='chalicelib.domain.models:PinMapping', body_exclude=('serial',), status=201,
       idempotent=True)  # fmt: skip
def create_pin(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.create_pin_mapping(ctx.deps, ctx.principal, ctx.params['serial'], ctx.body)


@route(bp, '/v1/machines/{serial}/pins/{pin}/{valid_from}', 'PATCH', summary='End (or reopen) a PIN mapping',
       tag='machine', roles=WRITERS, body='chalicelib.domain.models:PinMapping')  # fmt: skip
def end_pin(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    p = ctx.params
    return svc.end_pin_mapping(ctx.deps, ctx.principal, p['serial'], p['pin'], p['valid_from'], ctx.body)


@route(bp, '/v1/machines/{serial}/pins/{pin}/{valid_from}', 'DELETE', summary='Delete a PIN mapping made in error',
       tag='machine', roles=WRITERS)  # fmt: skip
def delete_pin(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    p = ctx.params
    return svc.delete_pin_mapping(ctx.deps, ctx.principal, p['serial'], p['pin'], p['valid_from'])


@route(bp, '/v1/opds/{opd_id}/unmapped-pins', 'GET', summary="PINs of the OPD's machines waiting for a mapping",
       tag='machine', roles=READERS)  # fmt: skip
def list_unmapped_pins(ctx: Ctx) -> Any:
    from chalicelib.services import unmapped_pins

    return unmapped_pins.unmapped_pins(ctx.deps, ctx.principal, ctx.params['opd_id'])


@route(bp, '/v1/bridges', 'GET', summary='List bridges', tag='bridge', roles=READERS, query=OPD_FILTER, paginated=True)
def list_bridges(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return page(*svc.list_bridges(ctx.deps, ctx.principal, ctx.query('opd'), ctx.limit, ctx.cursor))


@route(bp, '/v1/bridges', 'POST', summary='Register a bridge; its key is shown once', tag='bridge', roles=SUPER,
       body='chalicelib.domain.models:Bridge', body_exclude=('key_id', 'version'), status=201,
       idempotent=True)  # fmt: skip
def create_bridge(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.create_bridge(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/bridges/{bridge_id}', 'GET', summary='One bridge', tag='bridge', roles=READERS)
def get_bridge(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.get_bridge(ctx.deps, ctx.principal, ctx.params['bridge_id'])


@route(bp, '/v1/bridges/{bridge_id}', 'PATCH', summary='Change a bridge', tag='bridge', roles=SUPER,
       body='chalicelib.domain.models:Bridge')  # fmt: skip
def update_bridge(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.update_bridge(ctx.deps, ctx.principal, ctx.params['bridge_id'], ctx.body)


@route(bp, '/v1/bridges/{bridge_id}', 'DELETE', summary='Retire a bridge and revoke its key', tag='bridge', roles=SUPER)
def deactivate_bridge(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.deactivate_bridge(ctx.deps, ctx.principal, ctx.params['bridge_id'])


@route(bp, '/v1/bridges/{bridge_id}/rotate-key', 'POST', summary="Replace a bridge's key; the new one is shown once",
       tag='bridge', roles=SUPER, idempotent=True)  # fmt: skip
def rotate_bridge_key(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return svc.rotate_bridge_key(ctx.deps, ctx.principal, ctx.params['bridge_id'])


@route(bp, '/v1/bridge/machines', 'GET', summary='For a bridge key: the machines this bridge collects from',
       tag='bridge-self', roles=('bridge',))  # fmt: skip
def bridge_machines(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return page(svc.bridge_machines(ctx.deps, ctx.principal), None)


@route(bp, '/v1/holidays', 'GET', summary='Holidays of a year', tag='pemda', roles=READERS,
       query=(year_param('calendar year, e.g. 2026', required=True),))  # fmt: skip
def list_holidays(ctx: Ctx) -> Any:
    from chalicelib.services import directory as svc

    return page(svc.list_holidays(ctx.deps, ctx.principal, int(ctx.query('year') or 0)), None)


@route(bp, '/v1/holidays', 'POST', summary='Add a regional holiday or closure', tag='pemda', roles=SUPER,
       body='chalicelib.domain.models:Holiday',
       status=201, idempotent=True)  # fmt: skip
def add_holiday(ctx: Ctx) -> Any:
    from chalicelib.services import schedules

    return schedules.add_holiday(ctx.deps, ctx.principal, ctx.body)
