"""Routes for bridges (with a bridge key) and for administrators about bridge uploads."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, date_param, page, route

bp = Blueprint(__name__)
BRIDGE = ('bridge',)
ADMINS = ('super', 'opd_admin')
READERS = ('super', 'auditor', 'opd_admin')
# chalicelib.services.manual_lists.MAX_BODY_BYTES, written out so declaring the routes imports no service
# (tests/unit/test_cold_import.py holds them equal).
MANUAL_LIST_BODY_BYTES = 256 * 1024


@route(bp, '/v1/bridge/upload-url', 'POST', summary='A presigned PUT for one gzip NDJSON batch of machine records',
       tag='bridge-self', roles=BRIDGE, body='chalicelib.services.ingest:UploadUrlRequest')  # fmt: skip
def upload_url(ctx: Ctx) -> Any:
    from chalicelib.services import ingest
    from chalicelib.wiring import get_uploads

    return ingest.issue_upload_url(ctx.deps, get_uploads(), ctx.settings, ctx.principal, ctx.body)


@route(bp, '/v1/bridge/heartbeat', 'POST', summary="The bridge's and its machines' status", tag='bridge-self',
       roles=BRIDGE, body='chalicelib.services.ingest:HeartbeatRequest')  # fmt: skip
def heartbeat(ctx: Ctx) -> Any:
    from chalicelib.services import ingest

    return ingest.record_heartbeat(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/bridge/backfills', 'GET', summary='Pending re-read requests for this bridge', tag='bridge-self',
       roles=BRIDGE)  # fmt: skip
def backfills(ctx: Ctx) -> Any:
    from chalicelib.services import ingest

    return ingest.list_backfills(ctx.deps, ctx.principal)


@route(bp, '/v1/bridge/backfills/{request_id}', 'POST', summary='Report progress on a re-read request',
       tag='bridge-self', roles=BRIDGE, body='chalicelib.services.ingest:BackfillReport')  # fmt: skip
def report_backfill(ctx: Ctx) -> Any:
    from chalicelib.services import machine_summary

    return machine_summary.report_backfill_and_refresh(ctx.deps, ctx.principal, ctx.params['request_id'], ctx.body)


@route(bp, '/v1/bridge/uploads', 'GET', summary="This bridge's uploads of the last 24 hours: counts and rejected lines",
       tag='bridge-self', roles=BRIDGE)  # fmt: skip
def own_uploads(ctx: Ctx) -> Any:
    from chalicelib.services import ingest

    return ingest.recent_own_uploads(ctx.deps, ctx.principal)


@route(bp, '/v1/machines/{serial}/backfills', 'POST', summary="Ask the machine's bridge to re-read a time window",
       tag='machine', roles=ADMINS,
       body='chalicelib.services.ingest:BackfillRequest', status=201, idempotent=True)  # fmt: skip
def request_backfill(ctx: Ctx) -> Any:
    from chalicelib.services import ingest

    return ingest.request_backfill(ctx.deps, ctx.principal, ctx.params['serial'], ctx.body)


@route(bp, '/v1/uploads', 'GET', summary='Reconciled bridge uploads with their counts', tag='bridge',
       roles=('super', 'auditor'), query=(QueryParam('bridge', 'only this bridge'),), paginated=True)  # fmt: skip
def list_uploads(ctx: Ctx) -> Any:
    from chalicelib.services import ingest

    return page(*ingest.list_uploads(ctx.deps, ctx.principal, ctx.query('bridge'), ctx.limit, ctx.cursor))


@route(bp, '/v1/machines/health', 'GET', summary='Machine health: online, stale, offline or never seen, per OPD',
       tag='machine', roles=('super', 'auditor', 'opd_admin'), query=(QueryParam('opd', 'only this OPD'),))  # fmt: skip
def machine_health(ctx: Ctx) -> Any:
    from chalicelib.services import ingest

    return ingest.machine_health(ctx.deps, ctx.settings, ctx.principal, ctx.query('opd'))


@route(bp, '/v1/machines/summary', 'GET',
       summary="Each OPD's machine day: states, ledger punches per machine, count shortfalls, backfills, flags",
       tag='machine', roles=READERS, query=(date_param('YYYY-MM-DD, default yesterday'),
                                            QueryParam('opd', 'only this OPD')))  # fmt: skip
def machine_summaries(ctx: Ctx) -> Any:
    from chalicelib.services import machine_summary

    return machine_summary.machine_summaries(ctx.deps, ctx.principal, ctx.query('date'), ctx.query('opd'))


@route(bp, '/v1/outages', 'GET', summary='Machine outages: proposed, confirmed or dismissed', tag='machine',
       roles=READERS, query=(QueryParam('opd', 'only this OPD'),), paginated=True)  # fmt: skip
def list_outages(ctx: Ctx) -> Any:
    from chalicelib.services import outages

    return page(*outages.list_outages(ctx.deps, ctx.principal, ctx.query('opd'), ctx.limit, ctx.cursor))


@route(bp, '/v1/outages', 'POST', summary='Propose an outage for an OPD and day', tag='machine', roles=ADMINS,
       body='chalicelib.services.outages:OutageProposal', status=201, idempotent=True)  # fmt: skip
def propose_outage(ctx: Ctx) -> Any:
    from chalicelib.services import outages

    return outages.propose_outage(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/outages/{outage_id}/decision', 'POST', summary='Confirm or dismiss a proposed outage',
       tag='machine', roles=('super',), body='chalicelib.services.outages:OutageDecision')  # fmt: skip
def decide_outage(ctx: Ctx) -> Any:
    from chalicelib.services import outages

    return outages.decide_outage(ctx.deps, ctx.principal, ctx.params['outage_id'], ctx.body)


@route(bp, '/v1/outages/{outage_id}/manual-list', 'PUT',
       summary="Enter or replace the outage's manual attendance list (who came, arrival, departure, evidence)",
       tag='machine', roles=ADMINS, body='chalicelib.services.manual_lists:ManualListRequest',
       max_body_bytes=MANUAL_LIST_BODY_BYTES)  # fmt: skip
def submit_manual_list(ctx: Ctx) -> Any:
    from chalicelib.services import manual_lists

    return manual_lists.submit_manual_list(ctx.deps, ctx.principal, ctx.params['outage_id'], ctx.body)


@route(bp, '/v1/outages/{outage_id}/manual-list', 'GET', summary="The outage's manual attendance list and its state",
       tag='machine', roles=READERS)  # fmt: skip
def get_manual_list(ctx: Ctx) -> Any:
    from chalicelib.services import manual_lists

    return manual_lists.get_manual_list(ctx.deps, ctx.principal, ctx.params['outage_id'])


@route(bp, '/v1/outages/{outage_id}/manual-list/decision', 'POST',
       summary='Approve or reject a submitted manual attendance list', tag='machine', roles=('super',),
       body='chalicelib.services.manual_lists:ManualListDecision')  # fmt: skip
def decide_manual_list(ctx: Ctx) -> Any:
    from chalicelib.services import manual_lists

    return manual_lists.decide_manual_list(ctx.deps, ctx.principal, ctx.params['outage_id'], ctx.body)
