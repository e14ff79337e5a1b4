"""Day close, month close and the finance export: the I/O around the pure TPP engine (chalicelib.domain.tpp).

Every step is naturally idempotent (STYLE 12.8): records have deterministic keys and carry no clock, a
record is written only when its content changed, and a month revision is created only when the month's
records digest differs from the last complete revision. Export files are written once and never over.

Choices where the brief leaves room, and why:

- Schedules come from ``services.schedules``, read once per close: the most specific assignment in force
  (employee, unit, OPD; with none, Puskesmas 6HK and others 5HK), rosters for ROSTER staff, Ramadan periods.
- Profiles: the profiles in force are ``AllowanceBooks.profiles``: ``wiring.get_books()`` passes the pemda's
  published versions (``services.profiles.published``, with the shipped ASN default for PNS and PPPK days no
  published profile covers); a test passes others (the Lebong outage policy). TKK staff without a published
  TKK profile get no day or month records (counted as ``no_profile``) rather than records priced with the
  example TKK profile's placeholder amounts.
- Each day takes the employee's approved status of that day (``services.statuses``), with its rank among
  the month's owed days of the same code (CAP's free days), and the confirmed outage of the employee's OPD
  (``services.manual_lists.confirmed_outages``, with the employee's approved manual-list line and phone
  check-ins; a proposed or dismissed one changes nothing). A status that also
  has punches wins over them: the day is flagged ``conflict``, says so, is counted and logged.
- Punches are read per OPD and local date (GSI ``by-opd-date``) for every OPD, then grouped by employee:
  a few large queries instead of one per employee, and a punch stamped with another OPD (a visit, a
  transfer) still reaches its employee.
- The month close covers every employee with at least one day record in the month (a transfer keeps its
  days; a month that was never day-closed pays nobody by accident), in the OPD the employee is in at close.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import resource_names as names
from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from chalicelib.domain.models import ZONE_LABELS, Employee, Holiday, Opd, PemdaSettings, Principal, Punch
from chalicelib.domain.strict import parse_date, parse_month
from chalicelib.domain.tpp.day import ApprovedStatus, DayResult
from chalicelib.domain.tpp.defaults import default_profile
from chalicelib.domain.tpp.finance_xlsx import XLSX_TYPE, WorkbookCover, finance_xlsx
from chalicelib.domain.tpp.history import Change
from chalicelib.domain.tpp.midmonth import finance_rows
from chalicelib.domain.tpp.month import MonthFlags, compute_month
from chalicelib.domain.tpp.pipeline import close_days as evaluate_shifts
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.domain.tpp.records import (
    MANIFEST_FILE,
    PEMDA_FILE,
    DayRecord,
    ExportFile,
    MonthRecord,
    MonthRevision,
    export_file,
    export_prefix,
    finance_csv,
    manifest,
    month_bounds,
    month_of,
    records_digest,
    workbook_name,
)
from chalicelib.domain.tpp.schedule import (
    FIVE_DAY,
    FIVE_DAY_RAMADAN,
    SIX_DAY,
    SIX_DAY_RAMADAN,
    Calendar,
    EmployeeSchedule,
    Shift,
    expected_shift,
)
from chalicelib.domain.tpp.statuses import EmployeeStatus, earlier_status_days, months_touched, status_on
from chalicelib.observability import logger
from chalicelib.ports import (
    AllowanceRecords,
    DayChange,
    FilesReady,
    FinanceNotices,
    ObjectStore,
    PunchLedger,
    Record,
    Remove,
)
from chalicelib.services import discipline, discipline_decisions, employee_history, schedules, scores, statuses
from chalicelib.services.checkins import KIND_MANIPULATION
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_HOLIDAY,
    KIND_OPD,
    KIND_PEMDA,
    Deps,
    all_records,
    load,
    require,
)
from chalicelib.services.manual_lists import OutageDay, confirmed_outages

DEFAULT_ZONE = 'Asia/Jakarta'
KIND_MONTH_CHANGED = 'month_changed'  # a closed month one of whose days changed since
CSV_TYPE = 'text/csv; charset=utf-8'
FIVE_DAY_SCHEDULE = EmployeeSchedule(kind='WEEKLY', template=FIVE_DAY, ramadan_template=FIVE_DAY_RAMADAN)
SIX_DAY_SCHEDULE = EmployeeSchedule(kind='WEEKLY', template=SIX_DAY, ramadan_template=SIX_DAY_RAMADAN)


def profiles_in_force() -> tuple[RuleProfile, ...]:
    """The shipped ASN default alone (reference §8), for books built without the profile store."""
    return (default_profile(),)


@dataclass(frozen=True)
class AllowanceBooks:
    records: AllowanceRecords
    files: ObjectStore
    profiles: tuple[RuleProfile, ...] = field(default_factory=profiles_in_force)  # the closes price with these
    notices: FinanceNotices | None = None  # finance is told when a month's files are written
    console_url: str = ''  # the site whose Keuangan screen the notice links to


@dataclass
class DayCloseReport:
    first: str
    last: str
    employees: int = 0  # active staff in scope
    owed: int = 0  # employee-days with a shift owed
    written: int = 0  # day records new or changed
    unchanged: int = 0
    removed: int = 0  # day records of days no longer owed (a holiday added after the close)
    off: int = 0  # employee-days without a shift
    no_profile: int = 0  # employee-days without a rule profile in force (TKK for now)
    statuses: int = 0  # employee-days under an approved status
    conflicts: int = 0  # of which the employee also punched: the status wins, the day says so
    outages: int = 0  # employee-days in an OPD with a confirmed outage
    punches_read: int = 0
    open_until: str | None = None  # local time the last owed shift's check-out window shuts, if after the day


@dataclass
class HeldDays:
    """What a day close holds once it is done, for a month close in the same job (the bench, a history's
    catch-up): every closed date's day records as stored after it (all employees of the date, not only those
    closed) and the staff it read. The month close prices a month from them when every date of the month is
    held, instead of reading the month's day sheets and the employees again."""

    dates: dict[date, list[DayRecord]] = field(default_factory=dict)
    staff: dict[str, Employee] = field(default_factory=dict)

    def month(self, month: str) -> list[DayRecord] | None:
        """The month's records, or None unless every date of it was closed in this job."""
        first, last = month_bounds(month)
        dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if any(d not in self.dates for d in dates):
            return None
        return [r for d in dates for r in self.dates[d]]


# --- day close -------------------------------------------------------------------------------------


def close_day(deps: Deps, books: AllowanceBooks, local_date: date, opd: str | None = None) -> DayCloseReport:
    """Close one local date for every active employee (of one OPD, if given); re-runnable for any past day."""
    return close_days(deps, books, local_date, local_date, opd)


def close_days(
    deps: Deps, books: AllowanceBooks, first: date, last: date, opd: str | None = None,
    zone_opds: Collection[str] | None = None, held: HeldDays | None = None,
) -> DayCloseReport:  # fmt: skip
    """Close every local date from ``first`` to ``last``: one directory read, then day by day.

    ``opd`` (one OPD) or ``zone_opds`` (the OPDs of one zone, for the nightly close) narrow the staff closed.
    ``held`` keeps every closed date's records as stored after the close, and the staff read, for a month
    close in the same job (``close_month(..., held=...)``).
    """
    if last < first:
        raise ValidationFailed('last must not be before first', fields=(FieldIssue('last', 'before first'),))
    every_opd = {o.opd_id: o for o in (load(Opd, r) for r in all_records(deps.store, KIND_OPD))}
    opds = every_opd if zone_opds is None else {o: every_opd[o] for o in zone_opds if o in every_opd}
    if opd is not None and opd not in opds:
        raise NotFound(f'opd {opd} does not exist')
    staff = [
        e
        for e in (load(Employee, r) for r in all_records(deps.store, KIND_EMPLOYEE, f'{opd}#' if opd else ''))
        if e.active and e.opd_id in opds
    ]
    # From the day before the first month's start: a status's rank in its month needs the month's earlier days.
    # Punches of every OPD: one stamped with an OPD of another zone (a visit, its machine) still counts.
    calendar = calendar_between(deps, first.replace(day=1) - timedelta(days=1), last + timedelta(days=1))
    inputs = _CloseInputs(
        deps, books, opds, calendar, _PunchReader(deps.ledger, sorted(every_opd)), _Shifts(calendar),
        statuses.approved_in_months(deps, months_touched(first, last)),
        schedules.schedule_book(deps, first.replace(day=1), last), employee_history.changes_by_employee(deps),
    )  # fmt: skip
    report = DayCloseReport(first.isoformat(), last.isoformat(), employees=len(staff))
    if held is not None:
        held.staff.update((e.employee_id, e) for e in staff)
    day = first
    while day <= last:
        change = _close_one(inputs, day, staff, report, keep=held is not None)
        if held is not None:
            held.dates[day] = change.stored
        day += timedelta(days=1)
    report.punches_read = inputs.reader.read
    return report


class _Shifts:
    """Owed shifts by schedule key and date: staff sharing a template share them; a roster is its employee's."""

    def __init__(self, calendar: Calendar) -> None:
        self._calendar = calendar
        self._shifts: dict[tuple[str, date], Shift | None] = {}

    def on(self, resolved: schedules.ResolvedSchedule, day: date) -> Shift | None:
        if resolved.schedule is None:
            return None
        key = (resolved.key, day)
        if key not in self._shifts:
            self._shifts[key] = expected_shift(resolved.schedule, day, self._calendar)
        return self._shifts[key]


@dataclass(frozen=True)
class _CloseInputs:
    deps: Deps
    books: AllowanceBooks
    opds: dict[str, Opd]
    calendar: Calendar
    reader: _PunchReader
    shifts: _Shifts
    approved: dict[str, list[EmployeeStatus]]  # by employee
    schedule_book: schedules.ScheduleBook
    history: dict[str, list[Change]]  # by employee: each day is judged as the employee was then (issue 15)
    closed_months: dict[str, bool] = field(default_factory=dict)  # month -> has a closed revision

    def schedule_of(self, employee: Employee, day: date) -> schedules.ResolvedSchedule:
        return self.schedule_book.for_employee(employee, self.opds[employee.opd_id], day)

    def outages(self, opd_ids: set[str], day: date) -> dict[str, OutageDay]:
        """The confirmed outages of these OPDs on the day with their approved manual lists; proposed and
        dismissed ones change nothing."""
        return confirmed_outages(self.deps, sorted(opd_ids), day)


def _close_one(
    inputs: _CloseInputs, day: date, staff: Sequence[Employee], report: DayCloseReport, *, keep: bool
) -> DayChange:
    owed: list[tuple[Employee, EmployeeSchedule, Shift, RuleProfile]] = []
    for listed in staff:
        employee = employee_history.as_on(listed, inputs.history.get(listed.employee_id), day)
        if not employee.active:  # before a TMT, after leaving: nothing is owed that day
            report.off += 1
            continue
        if employee.opd_id not in inputs.opds:  # an OPD outside this close (another zone): judged where listed
            employee = employee.model_copy(update={'opd_id': listed.opd_id})
        profile = profile_in_force(inputs.books.profiles, employee.employee_type, day)
        if profile is None:
            report.no_profile += 1
            continue
        resolved = inputs.schedule_of(employee, day)
        shift = inputs.shifts.on(resolved, day)
        if shift is None or resolved.schedule is None:
            report.off += 1
            continue
        owed.append((employee, resolved.schedule, shift, profile))
    punches = inputs.reader.by_employee(sorted({d for _, _, s, _ in owed for d in _dates_touched(s)}))
    outages = inputs.outages({e.opd_id for e, _, _, _ in owed}, day)
    closed: list[DayRecord] = []
    for employee, schedule, shift, profile in owed:
        zone = ZoneInfo(inputs.opds[employee.opd_id].zone)
        local = [p.at_utc.astimezone(zone).replace(tzinfo=None) for p in punches.get(employee.employee_id, ())]
        status, earlier = _status_of_day(inputs, employee, profile, day)
        outage_day = outages.get(employee.opd_id)
        mine = punches.get(employee.employee_id, ())
        outage = outage_day.for_employee(employee.employee_id, mine, zone) if outage_day else None
        [result] = evaluate_shifts(
            schedule, inputs.calendar, day, day, local, {day: status} if status else {},
            {day: outage} if outage else {}, profile, shifts=[shift], earlier=earlier,
        )  # fmt: skip
        _count(report, employee, result, status is not None, outage is not None)
        record = DayRecord(
            employee_id=employee.employee_id,
            opd_id=employee.opd_id,
            profile_id=profile.profile_id,
            profile_version=profile.version,
            day=result,
        )
        closed.append(record)
    # One read of the date's day sheets and writes of what changed, instead of a batch-get of every record.
    change = inputs.books.records.replace_day(day, [e.employee_id for e in staff], closed, keep=keep)
    if change.written or change.removed:
        _flag_closed_months(inputs, {month_of(day)})
    report.owed += len(owed)
    spill = [s.check_out_until for _, _, s, _ in owed if s.check_out_until.date() > day]
    if spill:
        report.open_until = max(filter(None, (report.open_until, max(spill).isoformat())))
    report.written += len(change.written)
    report.unchanged += len(owed) - len(change.written)
    report.removed += len(change.removed)
    return change


def _flag_closed_months(inputs: _CloseInputs, months: set[str]) -> None:
    """A changed day of a month already closed is not paid until the month is closed again (a correction is
    asked for, never made behind finance's back): the month says so in the exports listing."""
    for month in sorted(months):
        if month not in inputs.closed_months:
            inputs.closed_months[month] = any(r.complete for r in inputs.books.records.revisions(month))
        if inputs.closed_months[month]:
            since = {'month': month, 'since': inputs.deps.clock().isoformat()}
            inputs.deps.store.put_many([Record(KIND_MONTH_CHANGED, month, since, list_key=month)])


def _status_of_day(
    inputs: _CloseInputs, employee: Employee, profile: RuleProfile, day: date
) -> tuple[ApprovedStatus | None, dict[str, int]]:
    """The approved status of the day, and the owed days of the month before it by status code."""
    mine = inputs.approved.get(employee.employee_id, [])
    status = status_on(mine, day)
    if status is None:
        return None, {}
    if profile.status(status.code) is None:
        # Checked against the profile in force when recorded; a later profile without the code must not stop
        # the whole close. The day is evaluated from its punches and the status waits for a corrected profile.
        logger.warning('status code not in the profile in force', extra={
            'employee_id': employee.employee_id, 'day': day.isoformat(), 'status_id': status.status_id,
            'code': status.code, 'profile_id': profile.profile_id, 'profile_version': profile.version,
        })  # fmt: skip
        return None, {}
    return status.for_day(), earlier_status_days(mine, day, partial(_owed, inputs, employee))


def _owed(inputs: _CloseInputs, employee: Employee, day: date) -> bool:
    return inputs.shifts.on(inputs.schedule_of(employee, day), day) is not None


def _count(report: DayCloseReport, employee: Employee, result: DayResult, status: bool, outage: bool) -> None:
    report.statuses += status
    report.outages += outage
    if result.conflict:
        report.conflicts += 1
        logger.info('approved status wins over punches', extra={
            'employee_id': employee.employee_id, 'day': result.local_date.isoformat(), 'status': result.status_code,
            'first_in': result.first_in.isoformat() if result.first_in else None,
            'last_out': result.last_out.isoformat() if result.last_out else None,
        })  # fmt: skip


def _dates_touched(shift: Shift) -> list[date]:
    """Local dates whose punches can fall inside the shift's scan windows (a night shift spills over)."""
    first, last = shift.check_in_from.date(), shift.check_out_until.date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class _PunchReader:
    """Punches by local date across every OPD, grouped by employee; the last few dates are kept."""

    def __init__(self, ledger: PunchLedger, opd_ids: Sequence[str]) -> None:
        self._ledger = ledger
        self._opd_ids = opd_ids
        self._dates: dict[date, list[Punch]] = {}
        self.read = 0

    def by_employee(self, dates: Sequence[date]) -> dict[str, list[Punch]]:
        for stale in [d for d in self._dates if not dates or d < dates[0] - timedelta(days=2)]:
            del self._dates[stale]
        grouped: dict[str, list[Punch]] = defaultdict(list)
        for day in dates:
            if day not in self._dates:
                self._dates[day] = [p for o in self._opd_ids for p in self._ledger.for_opd_date(o, day)]
                self.read += len(self._dates[day])
            for punch in self._dates[day]:
                if punch.employee_id:
                    grouped[punch.employee_id].append(punch)
        return grouped


def calendar_between(deps: Deps, first: date, last: date) -> Calendar:
    holidays = [
        Holiday.model_validate(r.data)
        for year in range(first.year, last.year + 1)
        for r in all_records(deps.store, KIND_HOLIDAY, f'{year:04d}-')
    ]
    return Calendar.from_holidays(holidays, schedules.ramadan_periods(deps, first.year, last.year))


# --- month close -----------------------------------------------------------------------------------


def month_profile(
    profiles: Sequence[RuleProfile], employee: Employee, days: Sequence[DayRecord], first: date
) -> RuleProfile | None:
    """The profile whose month-level rules (weights, caps, TK10, sick tiers) price the month: the one that
    priced the employee's last closed day of it, so a profile starting mid-month (a pemda's first TKK
    profile on the 5th) prices the month its days belong to. Each day keeps the rules of its own day."""
    last = max(days, key=lambda r: r.local_date, default=None)
    priced_by = (last.profile_id, last.profile_version) if last else None
    found = next((p for p in profiles if (p.profile_id, p.version) == priced_by), None)
    return found or profile_in_force(profiles, employee.employee_type, first)


def close_month(deps: Deps, books: AllowanceBooks, month: str, held: HeldDays | None = None) -> dict[str, Any]:
    """Compute every employee's month from the day records and the month's performance scores, keep it as a
    revision of the month, and raise the PP 94 discipline alerts the year's figures reach.

    An unchanged month keeps its last revision; a changed one (a score imported since) gets the next revision
    beside the old one. An employee without a score gets a performance part of 0 and a note saying why
    (counted as ``scores_missing``). ``held``: what the day close of this job holds (``HeldDays``); when it
    closed every date of the month, the month's records and staff come from it instead of being read again.
    """
    check_month(month)
    first, _ = month_bounds(month)
    changed_flag = deps.store.get(KIND_MONTH_CHANGED, month)  # read first: a change during the close stays
    month_days = held.month(month) if held is not None else None
    by_employee: dict[str, list[DayRecord]] = defaultdict(list)
    for record in books.records.days_in_month(month, month_days):
        by_employee[record.employee_id].append(record)
    staff_read = held.staff if held is not None and month_days is not None else {}
    found = _month_staff(deps, sorted(by_employee), staff_read)
    month_scores = scores.scores_of_month(deps, month)
    overlays = discipline_decisions.overlays_of_month(deps, month)
    # The month's confirmed manipulations in one prefix read (list key <YYYY-MM>#…), not one read per employee.
    manipulated = {r.id.rsplit('@', 1)[0] for r in all_records(deps.store, KIND_MANIPULATION, f'{month}#')}
    history = employee_history.changes_by_employee(deps)
    missing = 0
    records: list[MonthRecord] = []
    for employee_id in sorted(found):
        employee = found[employee_id]
        profile = month_profile(books.profiles, employee, by_employee[employee_id], first)
        if profile is None:
            continue
        days = [r.day for r in by_employee[employee_id]]
        flags = MonthFlags(manipulation_confirmed=employee_id in manipulated,
                           **discipline_decisions.month_flags(overlays.get(employee_id)))  # fmt: skip
        score = month_scores.get(employee_id)
        missing += score is None and profile.performance_weight_bp > 0
        split = employee_history.split_records(deps, month, employee, history.get(employee_id, []), days, score,
                                               flags, profile)  # fmt: skip
        if split is not None:  # a month cut by a mid-month change: one record with a part per state
            records += split
            continue
        result = compute_month(employee, days, score, flags, profile)
        records.append(
            MonthRecord(
                month=month,
                employee_id=employee_id,
                opd_id=employee.opd_id,
                employee_type=employee.employee_type,
                nip=employee.nip,
                nik=employee.nik if employee.nip is None else None,  # the workbook's identifier without a NIP
                name=employee.name,
                jabatan=employee.jabatan,
                kelas=employee.kelas_jabatan,
                result=result,
            )
        )
    digest = records_digest(records)
    discipline.mark_pending(deps, month)  # before the revision: a failed alert step is retried (retry_pending)
    revisions = books.records.revisions(month)
    if not records and not revisions:
        # Before the first day close (a new pemda, the demo's first minutes) there is nothing to pay: a header-only
        # revision 1 would reach finance as if the month had been closed.
        return {'month': month, 'employees': 0, 'skipped': 'no closed day in this month yet: no revision written'}
    complete = [r for r in revisions if r.complete]
    summary = {'month': month, 'employees': len(records), 'tpp_bruto': sum(r.result.tpp_bruto for r in records),
               'scores_missing': missing}  # fmt: skip
    if complete and complete[-1].digest == digest:
        summary.update(revision=complete[-1].revision, changed=False)
    else:
        number = max((r.revision for r in revisions), default=0) + 1
        head = MonthRevision(month=month, revision=number, digest=digest, employees=len(records),
                             created_at=deps.clock())  # fmt: skip
        books.records.claim_revision(head)
        books.records.put_month_records(month, number, records)
        books.records.save_revision(head.model_copy(update={'complete': True}))
        summary.update(revision=number, changed=True)
    alerts = discipline.raise_alerts(deps, books.records, books.profiles, month, records)
    discipline.clear_pending(deps, month)
    if changed_flag is not None:
        try:
            deps.store.commit([Remove(KIND_MONTH_CHANGED, month, expected_version=changed_flag.version)], None)
        except Conflict:
            logger.info('a day of the month changed during its close; the flag stays', extra={'month': month})
    return {**summary, 'discipline_alerts': alerts['alerts_new']}


def _month_staff(deps: Deps, employee_ids: Sequence[str], held: Mapping[str, Employee]) -> dict[str, Employee]:
    """The employees of the month's day records: those the day close of this job read, the rest (a former
    employee's days) by key; without a day close, every employee in one listing (a query per 500, not a
    batch-get per hundred), kept if they have a day record."""
    wanted = set(employee_ids)
    if held:
        found = {e: held[e] for e in employee_ids if e in held}
        rest = [e for e in employee_ids if e not in held]
        found |= {e: load(Employee, r) for e, r in deps.store.get_many(KIND_EMPLOYEE, rest).items()} if rest else {}
        return found
    return {e.employee_id: e for e in (load(Employee, r) for r in all_records(deps.store, KIND_EMPLOYEE))
            if e.employee_id in wanted}  # fmt: skip


# --- finance export --------------------------------------------------------------------------------


def export_month(deps: Deps, books: AllowanceBooks, month: str) -> dict[str, Any]:
    """Write the finance files of the month's latest revision, once: per OPD and for the pemda a CSV and the
    same rows as an XLSX workbook, then manifest.json; then tell finance the files are ready."""
    head = _latest(books, month)
    if head.files:
        return {'month': month, 'revision': head.revision, 'files': len(head.files), 'written': 0}
    records = books.records.month_records(month, head.revision)
    prefix = names.EXPORTS_PREFIX_TPP + export_prefix(month, head.revision)
    rows_of = finance_rows(records)  # a month split by a transfer is a row in each OPD's file
    groups = [(f'{o}.csv', o, [r for r in rows_of if r.opd_id == o]) for o in sorted({r.opd_id for r in rows_of})]
    groups.append((PEMDA_FILE, 'seluruh pemda', rows_of))
    bodies: list[tuple[ExportFile, bytes]] = []
    for name, scope, rows in groups:
        body = finance_csv(rows)
        table = export_file(prefix, name, body, len(rows))
        cover = WorkbookCover(month=month, revision=head.revision, records_digest=head.digest, scope=scope,
                              csv_name=name, csv_sha256=table.sha256, closed_at=head.created_at)  # fmt: skip
        workbook = finance_xlsx(rows, cover, books.profiles)
        bodies += [(table, body), (export_file(prefix, workbook_name(name), workbook, len(rows)), workbook)]
    listing = manifest(month, head.revision, head.digest, [f for f, _ in bodies])
    bodies.append((export_file(prefix, MANIFEST_FILE, listing, 0), listing))
    written = 0
    for file, content in bodies:  # the manifest goes last: its presence says the set is complete
        written += books.files.put_new(file.key, content, _content_type(file.name))
    # Told before the files are recorded: a failed notice fails the run, and the next run tells again.
    if books.notices is not None:
        books.notices.files_ready(_files_ready(books, head, len(records)))
    books.records.save_revision(head.model_copy(update={'files': tuple(f for f, _ in bodies)}))
    return {'month': month, 'revision': head.revision, 'files': len(bodies), 'written': written}


def _content_type(name: str) -> str:
    if name == MANIFEST_FILE:
        return 'application/json'
    return XLSX_TYPE if name.endswith('.xlsx') else CSV_TYPE


def _files_ready(books: AllowanceBooks, head: MonthRevision, employees: int) -> FilesReady:
    link = f'{books.console_url.rstrip("/")}/admin/#keuangan'
    subject = f'Hadir: file TPP {head.month} revisi {head.revision} siap diunduh'
    message = (
        f'File TPP bulan {head.month}, revisi {head.revision} ({employees} pegawai), sudah dibuat: CSV dan XLSX '
        f'per OPD dan untuk seluruh pemda, dengan manifest.json (SHA-256 setiap file).\n\n'
        f'Unduh dari layar Keuangan di konsol Hadir: {link}\n\n'
        f'Digest rekaman (records_digest): {head.digest}\n'
    )
    return FilesReady(month=head.month, revision=head.revision, subject=subject, message=message, link=link)


def list_exports(deps: Deps, books: AllowanceBooks, month: str | None, link_seconds: int) -> dict[str, Any]:
    """Every complete revision of a month with its files and a presigned download link for each, and whether
    a day of the month changed since its last close (a correction to ask for)."""
    if month is None:
        raise ValidationFailed('month is required', fields=(FieldIssue('query.month', 'YYYY-MM is required'),))
    check_month(month, 'query.month')
    items = []
    for head in (r for r in books.records.revisions(month) if r.complete):
        files = _listed_files(books, head.files, link_seconds)
        items.append(
            {'revision': head.revision, 'employees': head.employees, 'digest': head.digest,
             'closed_at': head.created_at.isoformat(), 'exported': bool(head.files), 'files': files}
        )  # fmt: skip
    flag = deps.store.get(KIND_MONTH_CHANGED, month)
    changed = {'since': flag.data['since']} if flag else None
    return {'month': month, 'items': items, 'count': len(items), 'changed_since_close': changed}


def _listed_files(books: AllowanceBooks, files: Sequence[ExportFile], link_seconds: int) -> list[dict[str, Any]]:
    """Every file with its format and download link; each CSV also names its workbook (``xlsx``), so a screen
    shows the two side by side. Revisions exported before workbooks existed have CSVs only."""
    listed = {
        f.name: {**f.model_dump(mode='json'), 'format': f.name.rsplit('.', 1)[-1],
                 'url': books.files.download_url(f.key, link_seconds)}
        for f in files
    }  # fmt: skip
    for name, entry in listed.items():
        if entry['format'] == 'csv':
            entry['xlsx'] = listed.get(workbook_name(name))
    return list(listed.values())


def opd_recap(
    deps: Deps, books: AllowanceBooks, principal: Principal, opd_id: str, month: str | None
) -> dict[str, Any]:
    """One OPD's month as of its latest closed revision: per employee the day codes counted, the deductions
    and the TPP, as in the finance file (the OPD is the one the employee was in at the close)."""
    authorize(principal, Permission.RECAP_READ, opd_id)
    require(deps.store, KIND_OPD, opd_id)
    if month is None:
        raise ValidationFailed('month is required', fields=(FieldIssue('query.month', 'YYYY-MM is required'),))
    check_month(month, 'query.month')
    head = _latest(books, month)
    records = books.records.opd_month_records(month, head.revision, opd_id)
    # A month split by a transfer is kept under the last OPD; the other OPD's part is a row here too.
    records += employee_history.moved_records(deps, books.records, month, head.revision, opd_id, records)
    rows = sorted((r for r in finance_rows(records) if r.opd_id == opd_id), key=lambda r: (r.nip or '', r.employee_id))
    items = [_recap_row(r) for r in rows]
    totals = {key: sum(item[key] for item in items) for key in ('pagu', 'deduction', 'discipline_cut', 'tpp_bruto')}
    return {'opd_id': opd_id, 'month': month, 'revision': head.revision, 'closed_at': head.created_at.isoformat(),
            'items': items, 'count': len(items), 'totals': totals}  # fmt: skip


def _recap_row(record: MonthRecord) -> dict[str, Any]:
    m = record.result
    return {
        'employee_id': record.employee_id, 'nip': record.nip, 'name': record.name, 'jabatan': record.jabatan,
        'kelas': record.kelas, 'employee_type': record.employee_type.value,
        'profile': f'{m.profile_id} v{m.profile_version}', 'working_days': m.working_days,
        'excluded_days': m.excluded_days, 'counts': m.counts, 'month_rules': list(m.month_rules), 'rincian': m.rincian,
        'tk_days': m.tk_days, 'late_early_minutes': m.late_early_minutes, 'pagu': m.pagu,
        'performance_part': m.performance_part, 'attendance_base': m.attendance_base,
        'deduction_percent': format(m.deduction_percent, 'f'), 'deduction': m.deduction,
        'discipline_cut': m.discipline_cut, 'attendance_part': m.attendance_part, 'tpp_bruto': m.tpp_bruto,
        'notes': list(m.notes),
    }  # fmt: skip


def _latest(books: AllowanceBooks, month: str) -> MonthRevision:
    check_month(month)
    complete = [r for r in books.records.revisions(month) if r.complete]
    if not complete:
        raise NotFound(f'{month} has not been closed')
    return complete[-1]


# --- dates the jobs default to ---------------------------------------------------------------------

DAY_CLOSES_AT_LOCAL_HOUR = 1  # services.nightly.CLOSE_AFTER_LOCAL_HOUR: a day is over at 01:00 local next morning


def check_month(month: str, field: str = 'month') -> None:
    """A month YYYY-MM of 2000 to 2100 (domain.strict): a close for `0001-01` is a typo, never a request."""
    parse_month(month, field)


def local_today(deps: Deps) -> date:
    record = deps.store.get(KIND_PEMDA, 'settings')
    zone = PemdaSettings.model_validate(record.data).zone if record else DEFAULT_ZONE
    now: datetime = deps.clock()
    return now.astimezone(ZoneInfo(zone)).date()


def day_to_close(deps: Deps, value: str | None, *, force: bool = False) -> date:
    """``value`` (YYYY-MM-DD) or yesterday in the pemda's zone.

    A day is over where an OPD works at ``DAY_CLOSES_AT_LOCAL_HOUR`` the next morning (the nightly close's
    hour). A date closed for every OPD must be over in every zone in use: a day closed while it is still
    going has every employee who has not yet checked in TK, with a deduction beside their check-in an hour
    later. Refused with the time it can be closed from, unless ``force``; a forced close is closed again by
    the nightly run once the day is over (it writes no zone marker).
    """
    if value is None:
        return local_today(deps) - timedelta(days=1)
    day = parse_date(value, 'date')
    now: datetime = deps.clock()
    open_in = [(zone, at) for zone, at in _day_over_at(deps, day).items() if now < at]
    if open_in and not force:
        zone, at = max(open_in, key=lambda item: item[1])
        raise ValidationFailed(
            f'{day} is not over yet in {zone} ({ZONE_LABELS[zone]}): it can be closed from '
            f'{at:%Y-%m-%d %H:%M} {ZONE_LABELS[zone]} ({at.astimezone(UTC):%H:%M} UTC). Closing it now would '
            'record TK for everyone who has not checked in yet; use --force to close it anyway',
            fields=(FieldIssue('date', f'not over until {at.isoformat()}'),),
            code='day_not_over',
        )
    return day


def _day_over_at(deps: Deps, day: date) -> dict[str, datetime]:
    """When ``day`` is over in each zone of the pemda's OPDs (the pemda's own zone when it has none)."""
    zones: set[str] = {load(Opd, r).zone for r in all_records(deps.store, KIND_OPD)} or {_pemda_zone(deps)}
    after = day + timedelta(days=1)
    return {
        zone: datetime(after.year, after.month, after.day, DAY_CLOSES_AT_LOCAL_HOUR, tzinfo=ZoneInfo(zone))
        for zone in sorted(zones)
    }


def _pemda_zone(deps: Deps) -> str:
    record = deps.store.get(KIND_PEMDA, 'settings')
    return PemdaSettings.model_validate(record.data).zone if record else DEFAULT_ZONE


def month_to_close(deps: Deps, value: str | None) -> str:
    """``value`` (YYYY-MM, or any date of the month) or last month in the pemda's zone."""
    if value is None:
        return month_of(local_today(deps).replace(day=1) - timedelta(days=1))
    if len(value) == 10:
        return month_of(parse_date(value, 'date'))
    check_month(value, 'date')
    return value


def report_dict(report: DayCloseReport) -> dict[str, Any]:
    return asdict(report)
