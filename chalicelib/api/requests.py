"""Leave, sickness, izin and duty requests: asked from the phone (device-signed), approved or rejected by the OPD's
admin (audited). An approved request is an approved status (services/statuses.py) for the day close."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, page, route

bp = Blueprint(__name__)
ADMINS = ('super', 'opd_admin')
READERS = ('super', 'auditor', 'opd_admin')
PHONE_BODY_BYTES = 2 * 1024 * 1024  # a letter's photo as base64; the settings' max_selfie_bytes bounds the image


@route(bp, '/v1/mobile/requests', 'POST', tag='mobile', device=True, status=201,
       body='chalicelib.services.requests:PhoneRequestBody',
       max_body_bytes=PHONE_BODY_BYTES,
       summary='Ask for cuti, sakit, izin or DL over dates, with a reason and an optional letter photo')  # fmt: skip
def ask(ctx: Ctx) -> Any:
    from chalicelib.services import requests
    from chalicelib.wiring import get_books, get_mobile

    return requests.ask(get_mobile(), get_books().profiles, ctx.caller, ctx.body)


@route(bp, '/v1/mobile/requests', 'GET', tag='mobile', device=True,
       summary="The signed-in employee's requests, newest first, with their state")  # fmt: skip
def mine(ctx: Ctx) -> Any:
    from chalicelib.services import requests
    from chalicelib.wiring import get_mobile

    return requests.mine(get_mobile(), ctx.caller)


@route(bp, '/v1/leave-requests', 'GET', tag='status', roles=READERS, paginated=True,
       query=(QueryParam('opd', "the OPD (an OPD admin's own by default)"),
              QueryParam('state', 'pending (default), approved or rejected', enum=('pending', 'approved', 'rejected'))),
       summary="Requests from employees' phones, oldest first, with a link to the letter's photo")  # fmt: skip
def list_requests(ctx: Ctx) -> Any:
    from chalicelib.services import requests
    from chalicelib.wiring import get_mobile

    state = ctx.query('state') or 'pending'
    return page(*requests.list_requests(get_mobile(), ctx.principal, ctx.query('opd'), state, ctx.limit, ctx.cursor))


@route(bp, '/v1/leave-requests/{request_id}/approve', 'POST', tag='status', roles=ADMINS,
       body='chalicelib.services.requests:ApproveBody',
       summary="Approve a phone request: it becomes an approved status with the letter's number (audited)")  # fmt: skip
def approve(ctx: Ctx) -> Any:
    from chalicelib.services import requests
    from chalicelib.wiring import get_books, get_mobile

    return requests.approve(get_mobile(), get_books().profiles, ctx.principal, ctx.params['request_id'], ctx.body)


@route(bp, '/v1/leave-requests/{request_id}/reject', 'POST', tag='status', roles=ADMINS,
       body='chalicelib.services.requests:RejectBody',
       summary='Reject a phone request with the reason the employee sees (audited)')  # fmt: skip
def reject(ctx: Ctx) -> Any:
    from chalicelib.services import requests
    from chalicelib.wiring import get_mobile

    return requests.reject(get_mobile(), ctx.principal, ctx.params['request_id'], ctx.body)
