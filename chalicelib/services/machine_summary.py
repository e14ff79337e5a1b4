"""The daily count reconciliation of machine punches and the per-OPD machine summary.

Once a day, early in the morning after the day, every active machine's counts for that day (and for the
earlier days of the lookback that changed since they were last found complete) are compared: what the
machine counted, what its bridge holds (both from the bridge's last heartbeat) and what the ledger holds.
A short day (judged by the ledger) opens one backfill request for that machine and day; a gap between the
machine's running counter and what its bridge received opens one more only when the short days do not
already account for it, over the days since the counter last matched. Each check is kept as a
`machine_count` record, and each OPD's day as a `machine_summary` record the API serves. A short machine-day
stays on a short list (`machine_short`) until it is complete: every reconcile run and every backfill the
bridge reports finished check it again and refresh its summary, so a repair shows the same hour, not the
next morning.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.access import Permission, scope_opd
from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.machine_counts import (
    CounterReport,
    DayCheck,
    Finding,
    check_day,
    counter_backfill,
    day_backfill_id,
    day_window,
    gap_explained,
    parse_counter,
    parse_day_counts,
    settled_before,
)
from chalicelib.domain.machine_health import MachineState, machine_state, parse_instant
from chalicelib.domain.models import Machine, Principal
from chalicelib.ports import Record, Remove
from chalicelib.services.common import (
    KIND_MACHINE,
    KIND_OPD,
    KIND_PEMDA,
    Deps,
    all_by_lookup,
    all_records,
    load,
)
from chalicelib.services.ingest import (
    KIND_BACKFILL,
    KIND_MACHINE_STATUS,
    flags_lookup,
    open_backfill,
    report_backfill,
)
from chalicelib.services.outages import KIND_OUTAGE, outage_id
from chalicelib.settings import Settings

KIND_MACHINE_COUNT = 'machine_count'
KIND_MACHINE_SUMMARY = 'machine_summary'
KIND_MACHINE_SHORT = 'machine_short'  # a machine-day found short, until a later check finds it complete
KIND_COUNTER_MATCH = 'machine_counter_match'  # the last day a machine's counter matched what its bridge received
LOOKBACK_DAYS = 7  # a bridge offline for up to a week still has its days reconciled when it returns
SETTLE = timedelta(minutes=20)  # uploads older than this are in the ledger: reconcile runs every 5 minutes
COUNTER_WINDOW_DAYS = 31  # the farthest back a counter gap sends a bridge to re-read
SHORT_KEPT_DAYS = 14  # a day short this long after it was listed is for a person: it leaves the list (stays short)
DEFAULT_ZONE = 'Asia/Jakarta'


def _pemda_zone(deps: Deps) -> str:
    stored = deps.store.get(KIND_PEMDA, 'settings')
    return str(stored.data.get('zone', DEFAULT_ZONE)) if stored else DEFAULT_ZONE


def _parse_day(text: str, field_path: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f'{text!r} is not a date', fields=(FieldIssue(field_path, 'a date YYYY-MM-DD'),)
        ) from None


def day_to_summarize(deps: Deps, text: str | None) -> date:
    """The given date, or yesterday in the pemda's zone (the job runs after the day is over)."""
    if text:
        return _parse_day(text, 'date')
    return deps.clock().astimezone(ZoneInfo(_pemda_zone(deps))).date() - timedelta(days=1)


@dataclass
class _LedgerDay:
    punches: Counter[str] = field(default_factory=Counter)  # serial -> punches in the ledger
    unmapped: Counter[str] = field(default_factory=Counter)  # serial -> of which no PIN mapping covers yet


def _ledger_day(deps: Deps, opd_ids: list[str], day: date) -> _LedgerDay:
    """Every machine punch of one local date. A machine's punches are stamped with its staff's OPDs (or its
    own, while unmapped), so every OPD's date partition is read: one query per OPD, not one per machine."""
    counted = _LedgerDay()
    for opd_id in opd_ids:
        for punch in deps.ledger.for_opd_date(opd_id, day):
            if punch.machine_serial is None:
                continue
            counted.punches[punch.machine_serial] += 1
            if punch.employee_id is None:
                counted.unmapped[punch.machine_serial] += 1
    return counted


def _flags_of(deps: Deps, day: date) -> dict[str, list[dict[str, Any]]]:
    """Flagged OPERLOG events whose machine-local date is `day`, by OPD."""
    by_opd: dict[str, list[dict[str, Any]]] = {}
    for record in all_by_lookup(deps.store, flags_lookup(day)):
        event = record.data
        by_opd.setdefault(str(event['opd_id']), []).append(
            {k: event.get(k) for k in ('serial', 'op_type', 'flag', 'local_time', 'received_at')}
        )
    return by_opd


@dataclass
class _Run:
    deps: Deps
    day: date
    now: datetime
    opened: list[str] = field(default_factory=list)

    def open(self, machine: Machine, request_id: str, window: tuple[str, str], reason: str) -> bool:
        if open_backfill(self.deps, machine, request_id, window, reason):
            self.opened.append(request_id)
            return True
        return False


def _check_record(machine: Machine, check: DayCheck, backfill: str | None, opened: bool, now: datetime) -> Record:
    data = {'serial': machine.serial, 'opd_id': machine.opd_id, 'day': check.day.isoformat(),
            'finding': check.finding.value, 'ledger': check.ledger, 'bridge': check.bridge, 'unsent': check.unsent,
            'machine': check.machine, 'missing_on_bridge': check.missing_on_bridge,
            'missing_in_ledger': check.missing_in_ledger, 'shortfall': check.shortfall,
            'ledger_complete': check.ledger_complete, 'backfill_id': backfill,
            'backfill_opened': opened, 'checked_at': now.isoformat()}  # fmt: skip
    return Record(
        KIND_MACHINE_COUNT, f'{machine.serial}@{check.day.isoformat()}', data,
        list_key=f'{machine.opd_id}#{check.day.isoformat()}#{machine.serial}',
    )  # fmt: skip


def _reason(check: DayCheck) -> str:
    parts = []
    if check.missing_on_bridge:
        parts.append(f'the machine counted {check.machine}, the bridge holds {check.bridge}')
    if check.missing_in_ledger:
        parts.append(f'the bridge holds {check.bridge}, the ledger {check.ledger}')
    return f'count reconciliation of {check.day}: ' + '; '.join(parts)


def summarize_machines(deps: Deps, settings: Settings, day: date) -> dict[str, Any]:
    """Reconcile the counts of `day` (and of the lookback's changed days) and write each OPD's summary.

    Re-runs are safe: checks and summaries are overwritten under deterministic keys, and each backfill has a
    deterministic id created only if absent, so a machine and day is asked for at most once."""
    run = _Run(deps, day, deps.clock())
    machines = [m for m in (load(Machine, r) for r in all_records(deps.store, KIND_MACHINE)) if m.active]
    statuses = deps.store.get_many(KIND_MACHINE_STATUS, [m.serial for m in machines])
    status_of = {m.serial: statuses[m.serial].data if m.serial in statuses else {} for m in machines}
    reported = {serial: parse_day_counts(status.get('day_counts')) for serial, status in status_of.items()}
    days = [day - timedelta(days=back) for back in range(LOOKBACK_DAYS)]
    stored = deps.store.get_many(KIND_MACHINE_COUNT, [f'{m.serial}@{d.isoformat()}' for m in machines for d in days])
    to_check: list[tuple[Machine, date]] = []
    for machine in machines:
        for d in days:
            previous = stored.get(f'{machine.serial}@{d.isoformat()}')
            counts = reported[machine.serial].get(d)
            if d == day or (counts is not None and not settled_before(previous.data if previous else None, counts)):
                to_check.append((machine, d))
    opd_ids = sorted({r.id for r in all_records(deps.store, KIND_OPD)} | {m.opd_id for m in machines})
    ledger = {d: _ledger_day(deps, opd_ids, d) for d in sorted({day, *(d for _, d in to_check)})} if machines else {}
    checks: dict[tuple[str, date], tuple[DayCheck, str | None, bool]] = {}
    for machine, d in to_check:
        check = check_day(d, reported[machine.serial].get(d), ledger[d].punches[machine.serial], now=run.now,
                          settle=SETTLE)  # fmt: skip
        previous = stored.get(f'{machine.serial}@{d.isoformat()}')
        backfill = previous.data.get('backfill_id') if previous else None
        opened = False
        if check.finding is Finding.SHORT and machine.bridge_id is not None:
            backfill = day_backfill_id(machine.serial, d)
            opened = run.open(machine, backfill, day_window(d), _reason(check))
        checks[(machine.serial, d)] = (check, backfill, opened)
    deps.store.put_many([_check_record(m, *checks[(m.serial, d)], run.now) for m, d in to_check])
    # Only added here: a day found complete again comes off the list at the next reconcile run (which may delete).
    _keep_short_list(deps, [(m, checks[(m.serial, d)][0]) for m, d in to_check], remove=False)
    day_checks = _lookback_checks(stored, checks, machines, days)
    matches = deps.store.get_many(KIND_COUNTER_MATCH, [m.serial for m in machines])
    counters = {
        m.serial: _counter(run, m, parse_counter(status_of[m.serial].get('counter')), day_checks.get(m.serial, []),
                           matches.get(m.serial))
        for m in machines
    }  # fmt: skip
    summaries = _summaries(deps, settings, run, machines, status_of, checks, counters, ledger) if machines else []
    deps.store.put_many(summaries)
    findings = Counter(check.finding.value for check, _, _ in checks.values())
    return {'day': day.isoformat(), 'machines': len(machines), 'opds': len(summaries),
            'days_checked': sorted(d.isoformat() for d in ledger), 'checks': len(checks),
            'findings': dict(sorted(findings.items())),
            'counter_gaps': sum(1 for c in counters.values() if c['gap']), 'backfills_opened': run.opened}  # fmt: skip


def _lookback_checks(
    stored: dict[str, Record], checks: dict[tuple[str, date], tuple[DayCheck, str | None, bool]],
    machines: list[Machine], days: list[date],
) -> dict[str, list[DayCheck]]:  # fmt: skip
    """Each machine's latest check of every lookback day: this run's, or the one kept from an earlier run."""
    found: dict[str, list[DayCheck]] = {}
    for machine in machines:
        for d in days:
            if (machine.serial, d) in checks:
                found.setdefault(machine.serial, []).append(checks[(machine.serial, d)][0])
            elif (kept := stored.get(f'{machine.serial}@{d.isoformat()}')) is not None:
                found.setdefault(machine.serial, []).append(_kept_check(kept.data))
    return found


def _kept_check(data: dict[str, Any]) -> DayCheck:
    return DayCheck(
        date.fromisoformat(data['day']), Finding(data['finding']), data['ledger'], data.get('bridge'),
        data.get('unsent'), data.get('machine'), data.get('missing_on_bridge', 0), data.get('missing_in_ledger', 0),
        data.get('shortfall', 0),
    )  # fmt: skip


def _counter(
    run: _Run, machine: Machine, report: CounterReport | None, day_checks: list[DayCheck], match: Record | None
) -> dict[str, Any]:
    if report is None:
        return {'gap': None, 'backfill_id': None, 'backfill_opened': False, 'explained': False}
    if not report.gap:
        record = {'serial': machine.serial, 'day': run.day.isoformat(), 'machine_count': report.machine_count}
        run.deps.store.put_many([Record(KIND_COUNTER_MATCH, machine.serial, record)])
    explained = gap_explained(report.gap, day_checks)
    backfill, opened = None, False
    if report.gap and not explained and machine.bridge_id is not None:
        last_match = date.fromisoformat(match.data['day']) if match else None
        backfill, start, end = counter_backfill(machine.serial, report, run.day, COUNTER_WINDOW_DAYS, last_match)
        since = report.since or 'the bridge first read its counter'
        reason = (f'the machine counted {report.machine_added} records since {since}, '
                  f'the bridge received {report.bridge_added}')  # fmt: skip
        opened = run.open(machine, backfill, (start, end), reason)
    return {'gap': report.gap, 'machine_count': report.machine_count, 'backfill_id': backfill,
            'backfill_opened': opened, 'explained': explained}  # fmt: skip


def _summaries(
    deps: Deps, settings: Settings, run: _Run, machines: list[Machine], status_of: dict[str, dict[str, Any]],
    checks: dict[tuple[str, date], tuple[DayCheck, str | None, bool]], counters: dict[str, dict[str, Any]],
    ledgers: dict[date, _LedgerDay],
) -> list[Record]:  # fmt: skip
    day, ledger = run.day, ledgers[run.day]
    earlier_of: dict[str, list[dict[str, Any]]] = {}
    for (serial, d), (past, past_backfill, past_opened) in sorted(checks.items()):
        if d != day:
            earlier_of.setdefault(serial, []).append({
                'serial': serial, 'day': d.isoformat(), 'finding': past.finding.value, 'shortfall': past.shortfall,
                'backfill_id': past_backfill, 'backfill_opened': past_opened,
            })  # fmt: skip
    by_opd: dict[str, list[Machine]] = {}
    for machine in machines:
        by_opd.setdefault(machine.opd_id, []).append(machine)
    flags = _flags_of(deps, day)
    outages = deps.store.get_many(KIND_OUTAGE, [outage_id(opd_id, day) for opd_id in by_opd])
    backfill_ids = [b for _, b, _ in checks.values() if b] + [c['backfill_id'] for c in counters.values() if c['gap']]
    backfills = deps.store.get_many(KIND_BACKFILL, [b for b in backfill_ids if b])
    limits = {'stale_after': timedelta(minutes=settings.machine_stale_minutes),
              'offline_after': timedelta(minutes=settings.machine_offline_minutes)}  # fmt: skip
    records = []
    for opd_id, members in sorted(by_opd.items()):
        entries, earlier = [], []
        for machine in sorted(members, key=lambda m: m.serial):
            status = status_of[machine.serial]
            check, backfill, opened = checks[(machine.serial, day)]
            counter = counters[machine.serial]
            entries.append({
                'serial': machine.serial, 'name': machine.name, 'protocol': machine.protocol.value,
                'bridge_id': machine.bridge_id,
                'state': machine_state(parse_instant(status.get('last_contact')), run.now, **limits).value,
                'last_contact': status.get('last_contact'), 'ledger_punches': ledger.punches[machine.serial],
                'unmapped_punches': ledger.unmapped[machine.serial], 'bridge_punches': check.bridge,
                'bridge_unsent': check.unsent, 'machine_punches': check.machine, 'finding': check.finding.value,
                'shortfall': check.shortfall, 'missing_on_bridge': check.missing_on_bridge,
                'missing_in_ledger': check.missing_in_ledger, 'ledger_complete': check.ledger_complete,
                'backfill_id': backfill, 'backfill_opened': opened,
                'backfill_state': backfills[backfill].data.get('state') if backfill in backfills else None,
                'counter_gap': counter['gap'], 'counter_backfill_id': counter['backfill_id'],
                'counter_backfill_opened': counter['backfill_opened'],
                'counter_gap_explained': counter['explained'],
            })  # fmt: skip
            earlier.extend(earlier_of.get(machine.serial, []))
        states = Counter(e['state'] for e in entries)
        opd_flags = sorted(flags.get(opd_id, []), key=lambda f: (str(f['local_time']), str(f['serial'])))
        opened_here = sum(e['backfill_opened'] + e['counter_backfill_opened'] for e in entries)
        opened_here += sum(e['backfill_opened'] for e in earlier)
        totals = {'machines': len(entries), **{s.value: states.get(s.value, 0) for s in MachineState},
                  'ledger_punches': sum(e['ledger_punches'] for e in entries),
                  'unmapped_punches': sum(e['unmapped_punches'] for e in entries),
                  'count_shortfalls': sum(1 for e in entries if e['finding'] == Finding.SHORT.value),
                  'silent': sum(1 for e in entries if e['finding'] == Finding.SILENT.value),
                  'counter_gaps': sum(1 for e in entries if e['counter_gap']),
                  'backfills_opened': opened_here, 'operlog_flags': len(opd_flags)}  # fmt: skip
        outage = outages.get(outage_id(opd_id, day))
        data = {'opd_id': opd_id, 'day': day.isoformat(), 'generated_at': run.now.isoformat(), 'totals': totals,
                'machines': entries, 'earlier_days': earlier, 'operlog_flags': opd_flags,
                'outage': _outage_of(outage), 'silent': bool(entries) and totals['silent'] == len(entries)}  # fmt: skip
        records.append(Record(KIND_MACHINE_SUMMARY, f'{opd_id}@{day.isoformat()}', data, list_key=f'{day}#{opd_id}'))
    return records


def _outage_of(record: Record | None) -> dict[str, Any] | None:
    """The OPD's outage of the day as the summary shows it: the record's id, state, who decided and why."""
    if record is None:
        return None
    data = record.data
    return {'outage_id': data['outage_id'], 'state': data['state'], 'proposed_by': data.get('proposed_by'),
            'reason': data.get('reason'), 'decided_by': data.get('decided_by'),
            'decided_at': data.get('decided_at'), 'decision_reason': data.get('decision_reason')}  # fmt: skip


def _keep_short_list(deps: Deps, found: list[tuple[Machine, DayCheck]], *, remove: bool = True) -> None:
    """A short machine-day goes on the short list; one found complete again comes off it (when ``remove``)."""
    wanted = {f'{m.serial}@{c.day.isoformat()}': (m, c) for m, c in found if c.finding is Finding.SHORT}
    already = deps.store.get_many(KIND_MACHINE_SHORT, sorted(wanted)) if wanted else {}
    listed_at = deps.clock().isoformat()
    deps.store.put_many([
        Record(KIND_MACHINE_SHORT, record_id,
               {'serial': m.serial, 'opd_id': m.opd_id, 'day': c.day.isoformat(), 'listed_at': listed_at},
               list_key=f'{m.serial}#{c.day.isoformat()}')
        for record_id, (m, c) in sorted(wanted.items()) if record_id not in already
    ])  # fmt: skip
    if not remove:
        return
    complete = [f'{m.serial}@{c.day.isoformat()}' for m, c in found if c.finding is not Finding.SHORT]
    listed = deps.store.get_many(KIND_MACHINE_SHORT, complete) if complete else {}
    for record_id in sorted(listed):
        deps.store.commit([Remove(KIND_MACHINE_SHORT, record_id)], None)


def refresh_short_days(deps: Deps, serial: str | None = None) -> dict[str, Any]:
    """Check every machine-day on the short list again (one machine's, if given) against the bridge's latest
    counts and the ledger, and refresh its check and its OPD's summary of that day. Run after each reconcile
    and when a bridge reports a backfill finished, so a repaired day stops showing ``short`` at once."""
    listed = list(all_records(deps.store, KIND_MACHINE_SHORT, f'{serial}#' if serial else ''))
    if not listed:
        return {'checked': 0, 'still_short': 0}
    now = deps.clock()
    oldest = (now - timedelta(days=SHORT_KEPT_DAYS)).isoformat()
    for old in [r for r in listed if str(r.data.get('listed_at', '')) < oldest]:
        deps.store.commit([Remove(KIND_MACHINE_SHORT, old.id)], None)
    listed = [r for r in listed if str(r.data.get('listed_at', '')) >= oldest]
    if not listed:
        return {'checked': 0, 'still_short': 0}
    serials = sorted({r.data['serial'] for r in listed})
    machines = {m.serial: m for m in (load(Machine, r) for r in deps.store.get_many(KIND_MACHINE, serials).values())}
    statuses = deps.store.get_many(KIND_MACHINE_STATUS, serials)
    opd_ids = sorted({r.id for r in all_records(deps.store, KIND_OPD)} | {m.opd_id for m in machines.values()})
    ledgers: dict[date, _LedgerDay] = {}
    found: list[tuple[Machine, DayCheck]] = []
    for record in listed:
        machine = machines.get(record.data['serial'])
        if machine is None:
            continue
        d = date.fromisoformat(record.data['day'])
        if d not in ledgers:
            ledgers[d] = _ledger_day(deps, opd_ids, d)
        status = statuses[machine.serial].data if machine.serial in statuses else {}
        reported = parse_day_counts(status.get('day_counts')).get(d)
        check = check_day(d, reported, ledgers[d].punches[machine.serial], now=now, settle=SETTLE)
        previous = deps.store.get(KIND_MACHINE_COUNT, f'{machine.serial}@{d.isoformat()}')
        backfill = previous.data.get('backfill_id') if previous else None
        opened = bool(previous.data.get('backfill_opened')) if previous else False
        deps.store.put_many([_check_record(machine, check, backfill, opened, now)])
        _patch_summary(deps, machine, check, ledgers[d], backfill)
        found.append((machine, check))
    _keep_short_list(deps, found)
    return {'checked': len(found), 'still_short': sum(1 for _, c in found if c.finding is Finding.SHORT)}


def _patch_summary(deps: Deps, machine: Machine, check: DayCheck, ledger: _LedgerDay, backfill: str | None) -> None:
    stored = deps.store.get(KIND_MACHINE_SUMMARY, f'{machine.opd_id}@{check.day.isoformat()}')
    if stored is None:
        return
    data = dict(stored.data)
    state = deps.store.get(KIND_BACKFILL, backfill) if backfill else None
    entries = []
    for entry in data['machines']:
        if entry['serial'] == machine.serial:
            entry = {**entry, 'finding': check.finding.value, 'shortfall': check.shortfall,
                     'missing_on_bridge': check.missing_on_bridge, 'missing_in_ledger': check.missing_in_ledger,
                     'ledger_complete': check.ledger_complete, 'ledger_punches': ledger.punches[machine.serial],
                     'unmapped_punches': ledger.unmapped[machine.serial], 'bridge_punches': check.bridge,
                     'bridge_unsent': check.unsent, 'machine_punches': check.machine,
                     'backfill_state': state.data.get('state') if state else entry.get('backfill_state')}  # fmt: skip
        entries.append(entry)
    totals = {**data['totals'],
              'ledger_punches': sum(e['ledger_punches'] for e in entries),
              'unmapped_punches': sum(e['unmapped_punches'] for e in entries),
              'count_shortfalls': sum(1 for e in entries if e['finding'] == Finding.SHORT.value),
              'silent': sum(1 for e in entries if e['finding'] == Finding.SILENT.value)}  # fmt: skip
    data.update(machines=entries, totals=totals, refreshed_at=deps.clock().isoformat(),
                silent=bool(entries) and totals['silent'] == len(entries))  # fmt: skip
    deps.store.put_many([Record(KIND_MACHINE_SUMMARY, stored.id, data, list_key=f'{check.day}#{machine.opd_id}')])


def report_backfill_and_refresh(
    deps: Deps, principal: Principal, request_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A bridge's progress on a re-read; once it is finished, the machine's short days are checked again."""
    reported = report_backfill(deps, principal, request_id, body)
    if reported['state'] in ('done', 'failed'):
        refresh_short_days(deps, reported['serial'])
    return reported


def machine_summaries(deps: Deps, principal: Principal, day_text: str | None, opd_id: str | None) -> dict[str, Any]:
    """The stored summaries of one day (yesterday by default): every OPD's, or one OPD's (an OPD admin's own)."""
    scope = scope_opd(principal, Permission.MACHINE_READ, opd_id)
    day = _parse_day(day_text, 'query.date') if day_text else day_to_summarize(deps, None)
    if scope is not None:
        stored = deps.store.get(KIND_MACHINE_SUMMARY, f'{scope}@{day.isoformat()}')
        items = [stored.data] if stored else []
    else:
        items = [r.data for r in all_records(deps.store, KIND_MACHINE_SUMMARY, f'{day.isoformat()}#')]
    return {'day': day.isoformat(), 'items': items}
