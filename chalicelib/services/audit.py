"""Reading, anchoring and verifying the audit chain.

The chain's head is anchored once an hour (`anchor_audit`, the `anchor-audit` job) as one write-once object per
UTC hour in the anchors bucket (S3 Object Lock; infra/stacks/storage.py). Verify holds the chain to the latest
anchor it finds: the anchored entry must still be there with its anchored hash. What that does and does not
catch is in docs/audit.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib import resource_names as names
from chalicelib.domain.access import Permission, scope_opd
from chalicelib.domain.audit_chain import (
    ANCHOR_PERIOD,
    Anchor,
    AnchoredReport,
    ChainHead,
    anchor_period,
    canonical_json,
    head_of,
    recent_periods,
    verify_anchored,
)
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.models import Principal, Role
from chalicelib.observability import logger
from chalicelib.ports import ObjectStore
from chalicelib.services.common import Deps

# Verify looks this many hourly anchors back for the latest one: two days of a stopped anchor job. Without any,
# the chain is checked on its own links only (a new installation, or `make run` before its first anchor).
ANCHOR_LOOKBACK_PERIODS = 48
# The console's check (POST /v1/audit/verify) walks the anchored entry and this many entries before it, then the
# tail after it: a bounded time whatever the chain's length (docs/audit.md has the figures). The nightly job and
# `hadir audit verify` walk the whole chain.
CONSOLE_WINDOW = 10_000
VERIFIERS = frozenset({Role.SUPER, Role.AUDITOR})
# An anchor older than this means runs were missed: the tail that can change unseen is longer than one period.
STALE_ANCHOR_AGE = 2 * ANCHOR_PERIOD


def list_audit(
    deps: Deps, principal: Principal, opd_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    scope = scope_opd(principal, Permission.AUDIT_READ, opd_id)
    page = deps.audit_log.entries(opd_id=scope, limit=limit, cursor=cursor)
    return [e.model_dump(mode='json') for e in page.items], page.next_cursor


def current_head(deps: Deps) -> ChainHead:
    """The chain's newest entry as (seq, hash, at); seq 0 and the genesis hash for an empty chain. This is what an
    anchor records, and what a finance manifest can carry to tie its files to the log as it stood."""
    page = deps.audit_log.entries(opd_id=None, limit=1, cursor=None)
    return head_of(page.items[0] if page.items else None)


def anchor_key(period: str) -> str:
    return f'{names.ANCHORS_PREFIX_AUDIT}{period}.json'


def anchor_audit(deps: Deps, anchors: ObjectStore) -> dict[str, Any]:
    """Write the chain's head as this period's anchor. An anchor is written once: a second run in the same period
    (a retry, or `hadir job anchor-audit`) leaves the first and reports it."""
    now = deps.clock()
    period = anchor_period(now)
    key = anchor_key(period)
    anchor = Anchor(period=period, anchored_at=now, head=current_head(deps))
    try:
        anchors.put_new(key, canonical_json(anchor.to_json()).encode(), 'application/json')
    except Conflict:
        existing = _read_anchor(anchors, key)
        return {'written': False, 'key': key, 'anchor': existing.to_json() if existing else None}
    return {'written': True, 'key': key, 'anchor': anchor.to_json()}


def latest_anchor(deps: Deps, anchors: ObjectStore) -> Anchor | None:
    """The newest anchor of the last ANCHOR_LOOKBACK_PERIODS periods, found by key (no listing is granted)."""
    for period in recent_periods(deps.clock(), ANCHOR_LOOKBACK_PERIODS):
        anchor = _read_anchor(anchors, anchor_key(period))
        if anchor is not None:
            return anchor
    return None


def _read_anchor(anchors: ObjectStore, key: str) -> Anchor | None:
    try:
        return Anchor.from_json(json.loads(anchors.get(key)))
    except NotFound:
        return None
    except ValueError as exc:  # includes JSONDecodeError: nothing this code wrote; an older anchor is used instead
        logger.error('unreadable audit anchor', extra={'key': key, 'reason': str(exc)})
        return None


def verify_audit(deps: Deps, anchors: ObjectStore | None = None, *, window: int | None = None) -> AnchoredReport:
    """Check the chain's links and hashes, and hold it to the latest anchor if `anchors` is given.

    Parameters
    ----------
    window
        None walks the whole chain from entry 1. A number walks from that many entries before the anchored one
        (before the head if there is no anchor): entries older than the window are left to the whole-chain check.
    """
    anchor = latest_anchor(deps, anchors) if anchors is not None else None
    from_seq = 1
    if window is not None:
        base = anchor.head.seq if anchor else current_head(deps).seq
        from_seq = max(1, base - window + 1)
    return verify_anchored(deps.audit_log.walk(from_seq), anchor, from_seq=from_seq)


def verify_for_console(deps: Deps, principal: Principal, anchors: ObjectStore) -> dict[str, Any]:
    """POST /v1/audit/verify: the windowed check, for the personnel office and auditors."""
    if principal.role not in VERIFIERS:
        raise Forbidden('only the super admin and auditors may verify the whole audit chain')
    report = verify_audit(deps, anchors, window=CONSOLE_WINDOW)
    return report_json(report, now=deps.clock(), window=CONSOLE_WINDOW)


def report_json(report: AnchoredReport, *, now: datetime, window: int | None = None) -> dict[str, Any]:
    anchor = report.anchor
    result: dict[str, Any] = {
        'ok': report.ok,
        'checked': report.checked,
        'from_seq': report.from_seq,
        'last_seq': report.last_seq,
        'whole_chain': report.from_seq == 1,
        'window': window,
        'anchor': None
        if anchor is None
        else {
            'period': anchor.period,
            'key': anchor_key(anchor.period),
            'anchored_at': anchor.anchored_at.isoformat(),
            'seq': anchor.head.seq,
            'hash': anchor.head.hash,
            'stale': now - anchor.anchored_at > STALE_ANCHOR_AGE,
        },
        'unanchored_tail': report.unanchored_tail,
    }
    if not report.ok:
        result['first_broken'] = {'seq': report.broken_seq, 'reason': report.reason}
    return result
