"""Routes of the mobile web app (signed by the phone's device key) and the admin side of check-in: activation
codes, enrolment resets, the review queue and fraud alerts. The contract is docs/checkin.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint

from chalicelib import resource_names as names
from chalicelib.api.routing import Ctx, QueryParam, month_param, page, route
from chalicelib.observability import metrics

bp = Blueprint(__name__)
ADMINS = ('super', 'opd_admin')
READERS = ('super', 'auditor', 'opd_admin')
# chalicelib.domain.checkin.Outcome's values, written out so declaring the routes imports no domain module
# (tests/unit/test_cold_import.py holds them equal).
REVIEW_STATES = ('accepted', 'refused', 'review', 'pending', 'rejected')
MOBILE_BODY_BYTES = 2 * 1024 * 1024  # a selfie as base64 JPEG; the settings' max_selfie_bytes bounds the image


@route(bp, '/v1/mobile/activate', 'POST', summary="Bind a phone's public key to an employee with a one-time code",
       tag='mobile', body='chalicelib.services.checkins:ActivateBody', public=True, status=201)  # fmt: skip
def activate(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.activate(get_mobile(), ctx.body)


@route(bp, '/v1/mobile/me', 'GET', summary='The signed-in employee, device, enrolment state and office locations',
       tag='mobile', device=True)  # fmt: skip
def me(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.me(get_mobile(), ctx.caller)


@route(bp, '/v1/mobile/today', 'GET', tag='mobile', device=True,
       summary='Today so far: shift, holiday or status, punches, minutes late, the cost of leaving now')  # fmt: skip
def my_today(ctx: Ctx) -> Any:
    from chalicelib.services import my_day
    from chalicelib.wiring import get_books, get_mobile

    return my_day.my_day(get_mobile(), get_books().profiles, ctx.caller)


@route(bp, '/v1/mobile/face', 'POST', summary='Enrol the reference face (quality gate, duplicate search, index)',
       tag='mobile', body='chalicelib.services.checkins:FaceBody', device=True, status=201,
       max_body_bytes=MOBILE_BODY_BYTES)  # fmt: skip
def enrol_face(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.enrol_face(get_mobile(), ctx.caller, ctx.body)


@route(bp, '/v1/mobile/liveness', 'POST', summary='A one-time head-turn challenge for the next enrolment or check-in',
       tag='mobile', body='chalicelib.services.liveness:ChallengeBody', device=True, status=201)  # fmt: skip
def liveness_challenge(ctx: Ctx) -> Any:
    from chalicelib.services import liveness
    from chalicelib.wiring import get_mobile

    return liveness.issue_challenge(get_mobile(), ctx.caller, ctx.request.headers.get('x-hadir-nonce', ''), ctx.body)


@route(bp, '/v1/mobile/checkins', 'POST', summary='Check in or out: geofence, selfie against the enrolled face',
       tag='mobile', body='chalicelib.services.checkins:CheckinBody', device=True, status=201, idempotent=True,
       own_idempotency=True, max_body_bytes=MOBILE_BODY_BYTES)  # fmt: skip
def check_in(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    decision = checkins.check_in(get_mobile(), ctx.caller, ctx.body, ctx.idempotency_key)
    metrics.add_metric(name=f'Checkins_{decision["outcome"]}', unit=MetricUnit.Count, value=1)
    if decision['outcome'] == 'pending':
        metrics.add_metric(name=names.METRIC_REKOGNITION_THROTTLED, unit=MetricUnit.Count, value=1)
    return decision


@route(bp, '/v1/mobile/checkins', 'GET', summary="This month's check-ins and closed days of the signed-in employee",
       tag='mobile', device=True, query=(month_param('YYYY-MM, default this month'),))  # fmt: skip
def my_checkins(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    mobile = get_mobile()
    month = checkins.parse_month(ctx.query('month'))
    employee = ctx.caller.employee
    today = checkins.local_today(mobile, ctx.caller)
    chosen = month or f'{today:%Y-%m}'
    return checkins.history(mobile, ctx.caller, chosen, _closed_days(employee.employee_id, chosen, today))


def _closed_days(employee_id: str, month: str, today: date) -> list[dict[str, Any]]:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_books

    keys = [(employee_id, day) for day in checkins.month_dates(month, today)]
    records = get_books().records.days(keys)
    return [
        {'date': key[1].isoformat(), 'status': record.day.category.value, 'codes': list(record.day.codes),
         'explanation': record.day.explanation}
        for key, record in sorted(records.items(), key=lambda item: item[0][1], reverse=True)
    ]  # fmt: skip


@route(bp, '/v1/employees/{employee_id}/activation-codes', 'POST', summary='A one-time activation code, shown once',
       tag='checkin-admin', roles=ADMINS, status=201)  # fmt: skip
def issue_code(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.issue_activation_code(get_mobile(), ctx.principal, ctx.params['employee_id'])


@route(bp, '/v1/employees/{employee_id}/enrolment/reset', 'POST', summary="Revoke the phone and forget the face",
       tag='checkin-admin', roles=ADMINS, body='chalicelib.services.checkins:ResetBody')  # fmt: skip
def reset_enrolment(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.reset_enrolment(get_mobile(), ctx.principal, ctx.params['employee_id'], ctx.body)


@route(bp, '/v1/checkins/review', 'GET', summary='Check-ins by state (default: waiting for review), with evidence',
       tag='checkin-admin', roles=READERS, paginated=True,
       query=(QueryParam('opd', 'only this OPD'),
              QueryParam('state', 'review (default), pending, accepted, refused or rejected',
                         enum=REVIEW_STATES)))  # fmt: skip
def review_queue(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    state = ctx.query('state') or 'review'
    return page(*checkins.list_reviews(get_mobile(), ctx.principal, ctx.query('opd'), state, ctx.limit, ctx.cursor))


@route(bp, '/v1/checkins/{checkin_id}/review', 'POST', summary='Approve or reject a flagged check-in (audited)',
       tag='checkin-admin', roles=ADMINS, body='chalicelib.services.checkins:ReviewBody')  # fmt: skip
def review(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.review_checkin(get_mobile(), ctx.principal, ctx.params['checkin_id'], ctx.body)


@route(bp, '/v1/alerts', 'GET', summary='Fraud alerts: duplicate faces, confirmed manipulation', tag='checkin-admin',
       roles=READERS, paginated=True, query=(QueryParam('opd', 'only this OPD'),))  # fmt: skip
def alerts(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return page(*checkins.list_alerts(get_mobile(), ctx.principal, ctx.query('opd'), ctx.limit, ctx.cursor))


RECENT_CHECKINS = 10


@route(bp, '/v1/employees/{employee_id}/checkins', 'GET', summary="An employee's latest check-ins, newest first",
       tag='checkin-admin', roles=READERS,
       query=(QueryParam('limit', 'how many (1-500, default 10), from the last 3 months', 'integer'),))  # fmt: skip
def recent_checkins(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    limit = ctx.limit if ctx.query('limit') else RECENT_CHECKINS
    return page(checkins.recent_checkins(get_mobile(), ctx.principal, ctx.params['employee_id'], limit), None)


@route(bp, '/v1/employees/{employee_id}/enrolment', 'GET', summary="An employee's phone, face and activation state",
       tag='checkin-admin', roles=READERS)  # fmt: skip
def enrolment_state(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.enrolment_state(get_mobile(), ctx.principal, ctx.params['employee_id'])


@route(bp, '/v1/alerts/{alert_id}/resolve', 'POST',
       summary='Resolve a duplicate-face alert as different people; the blocked enrolment may proceed (audited)',
       tag='checkin-admin', roles=('super',), body='chalicelib.services.checkins:ResolveBody')  # fmt: skip
def resolve_alert(ctx: Ctx) -> Any:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.resolve_alert(get_mobile(), ctx.principal, ctx.params['alert_id'], ctx.body)
