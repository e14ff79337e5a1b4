"""Bulk import of employees from a SIASN/SIMPEG export.

Every row is validated exactly as the single-create API validates (`prepare_employee`), checked against
the NIP/NIK already registered, and written with the same writes and audit entry as `create_employee`:
one commit per employee.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.employee_import import (
    ImportMode,
    ImportOptions,
    IssueCode,
    ParsedRow,
    RowIssue,
    read_employee_file,
    row_path,
)
from chalicelib.domain.errors import Conflict, FieldIssue, Forbidden, ValidationFailed
from chalicelib.domain.models import AuditEntry, Employee, Principal
from chalicelib.observability import logger
from chalicelib.ports import AuditDraft, DirectoryStore, Page, Record, Write
from chalicelib.services.common import KIND_OPD, KIND_UNIQUE, Deps, dump, unique_record
from chalicelib.services.directory import employee_writes, prepare_employee

DEFAULT_WRITE_BUDGET_SECONDS = 20.0
# The answer is kept in the idempotency table, whose items are capped at 400 KB.
MAX_REPORT_BYTES = 300_000
MAX_ERROR_FIELDS = 50

CREATED = 'created'
VALID = 'valid'
ERROR = 'error'
SKIPPED = 'skipped'


@dataclass
class _Outcome:
    row: int
    nip: str | None
    issues: list[RowIssue]
    employee: Employee | None = None
    status: str = VALID
    employee_id: str | None = None

    def fail(self, issue: RowIssue) -> None:
        self.issues.append(issue)
        self.status = ERROR
        self.employee = None


@dataclass
class _Run:
    outcomes: list[_Outcome]
    warnings: list[str] = field(default_factory=list)


class _OpdReadsCached:
    """The directory store with OPD reads memoised: `prepare_employee` looks up its OPD for every row."""

    def __init__(self, store: DirectoryStore) -> None:
        self._store = store
        self._opds: dict[str, Record | None] = {}

    def get(self, kind: str, record_id: str) -> Record | None:
        if kind != KIND_OPD:
            return self._store.get(kind, record_id)
        if record_id not in self._opds:
            self._opds[record_id] = self._store.get(kind, record_id)
        return self._opds[record_id]

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        return self._store.get_many(kind, record_ids)

    def list(self, kind: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        return self._store.list(kind, prefix, limit=limit, cursor=cursor)

    def list_lookup(self, lookup_key: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        return self._store.list_lookup(lookup_key, prefix, limit=limit, cursor=cursor)

    def commit(self, writes: Sequence[Write], audit: AuditDraft | None) -> AuditEntry | None:
        return self._store.commit(writes, audit)

    def put_many(self, records: Sequence[Record]) -> None:
        self._store.put_many(records)

    def set_field(self, kind: str, record_id: str, field: str, value: object) -> None:
        self._store.set_field(kind, record_id, field, value)


def creation_audit(principal: Principal, employee: Employee) -> AuditDraft:
    """The audit entry of a new employee, the same one `create_employee` writes."""
    return AuditDraft(
        principal.key_id, 'employee.create', f'employee/{employee.employee_id}', employee.opd_id, None, dump(employee)
    )


def import_employees(
    deps: Deps,
    principal: Principal,
    raw: bytes,
    content_type: str,
    options: ImportOptions,
    *,
    time_budget_seconds: float = DEFAULT_WRITE_BUDGET_SECONDS,
) -> dict[str, Any]:
    """Validate a CSV/XLSX employee list and create the employees in it.

    Parameters
    ----------
    deps, principal
        As for every use case; the principal needs employee:write, and an opd_admin key may only
        import rows of its own OPD (other rows get a `forbidden` error).
    raw, content_type
        The uploaded file and its declared Content-Type.
    options
        `mode` all_or_nothing (nothing is written unless every row is valid) or best_effort (valid
        rows are written, the others reported); `dry_run` validates and reports without writing.
    time_budget_seconds
        Rows still unwritten when this much time has passed are reported as `skipped`.

    Returns
    -------
    dict
        The report: mode, dry_run, total, created, failed, rows (one entry per sheet row) and warnings.

    Raises
    ------
    ValidationFailed
        When the file as a whole is unusable, or in all_or_nothing mode when any row has an error;
        `details` then holds the full report.
    """
    started = deps.clock()
    authorize(principal, Permission.EMPLOYEE_WRITE)
    parsed = read_employee_file(raw, content_type)
    run = _Run(_check(deps, principal, parsed.rows), list(parsed.warnings))
    failed = sum(1 for o in run.outcomes if o.status == ERROR)
    if failed and options.mode is ImportMode.ALL_OR_NOTHING:
        issues = [FieldIssue(i.path, i.message) for o in run.outcomes for i in o.issues][:MAX_ERROR_FIELDS]
        raise ValidationFailed(
            f'{failed} of {len(run.outcomes)} rows have errors; nothing was imported',
            fields=tuple(issues),
            details=_report(options, run),
        )
    if not options.dry_run:
        _write(deps, principal, run, lambda: (deps.clock() - started).total_seconds() >= time_budget_seconds)
    return _report(options, run)


def _check(deps: Deps, principal: Principal, rows: Sequence[ParsedRow]) -> list[_Outcome]:
    reading = replace(deps, store=_OpdReadsCached(deps.store))
    outcomes = [_prepare(reading, principal, row) for row in rows]
    _flag_registered(deps, outcomes)
    return outcomes


def _prepare(deps: Deps, principal: Principal, row: ParsedRow) -> _Outcome:
    nip = row.fields.get('nip')
    outcome = _Outcome(row.row, nip if isinstance(nip, str) else None, list(row.issues))
    try:
        employee = prepare_employee(deps, principal, row.fields)
    except Forbidden as exc:
        outcome.fail(RowIssue(row_path(row.row, 'opd_id'), exc.message, IssueCode.FORBIDDEN))
        return outcome
    except ValidationFailed as exc:
        flagged = {issue.path for issue in row.issues}
        for issue in exc.fields or (FieldIssue('body', exc.message),):
            whole_row = issue.path == 'body'
            path = row_path(row.row, None if whole_row else issue.path)
            # A field the parser already rejected is missing here too; say so once, in the parser's words.
            if path not in flagged and not (whole_row and row.issues):
                outcome.issues.append(RowIssue(path, issue.message))
        outcome.status = ERROR
        return outcome
    if outcome.issues:
        outcome.status = ERROR
    else:
        outcome.employee = employee
    return outcome


def _flag_registered(deps: Deps, outcomes: list[_Outcome]) -> None:
    claims: dict[str, tuple[_Outcome, str, str]] = {}
    for outcome in outcomes:
        employee = outcome.employee
        if employee is None:
            continue
        for name, scope, value in (('nip', 'NIP', employee.nip), ('nik', 'NIK', employee.nik)):
            if value:
                claim_id = unique_record(scope, value, employee.employee_id).id
                claims[claim_id] = (outcome, name, f'{scope} {value} is already registered')
    for claim_id in deps.store.get_many(KIND_UNIQUE, list(claims)) if claims else {}:
        outcome, name, message = claims[claim_id]
        outcome.fail(RowIssue(row_path(outcome.row, name), message, IssueCode.EXISTS))


def _write(deps: Deps, principal: Principal, run: _Run, out_of_time: Callable[[], bool]) -> None:
    stopped: str | None = None
    for outcome in run.outcomes:
        employee = outcome.employee
        if outcome.status != VALID or employee is None:
            continue
        if stopped is None and out_of_time():
            stopped = 'time ran out'
        if stopped is not None:
            outcome.status = SKIPPED
            continue
        try:
            deps.store.commit(employee_writes(deps, employee), creation_audit(principal, employee))
        except Conflict as exc:
            outcome.fail(RowIssue(row_path(outcome.row), exc.message, IssueCode.CONFLICT))
        except Exception:
            # An error we do not understand is likely to repeat: stop, and report what was done so far.
            logger.exception('employee import stopped at a failed write', extra={'row': outcome.row})
            message = 'the employee could not be saved because of an error on our side; import this row again later'
            outcome.fail(RowIssue(row_path(outcome.row), message, IssueCode.WRITE_FAILED))
            stopped = f'writing failed at row {outcome.row}'
        else:
            outcome.status = CREATED
            outcome.employee_id = employee.employee_id
    skipped = sum(1 for o in run.outcomes if o.status == SKIPPED)
    if skipped:
        run.warnings.append(
            f'{stopped}: {skipped} valid rows were not imported (status skipped); upload the same file again with '
            f'mode=best_effort and a new Idempotency-Key to add them (rows already imported will show as exists)'
        )


def _report(options: ImportOptions, run: _Run) -> dict[str, Any]:
    warnings = list(run.warnings)
    return {
        'mode': options.mode.value,
        'dry_run': options.dry_run,
        'total': len(run.outcomes),
        'created': sum(1 for o in run.outcomes if o.status == CREATED),
        'failed': sum(1 for o in run.outcomes if o.status == ERROR),
        'rows': _listing(run.outcomes, warnings),
        'warnings': warnings,
    }


def _entry(outcome: _Outcome) -> dict[str, Any]:
    entry: dict[str, Any] = {'row': outcome.row, 'status': outcome.status}
    if outcome.employee_id:
        entry['employee_id'] = outcome.employee_id
    if outcome.nip:
        entry['nip'] = outcome.nip
    entry['errors'] = [{'path': i.path, 'message': i.message, 'code': i.code.value} for i in outcome.issues]
    return entry


def _listing(outcomes: list[_Outcome], warnings: list[str]) -> list[dict[str, Any]]:
    """Every row, unless that outgrows the size limit: then valid and skipped rows, which only repeat the
    counts, are left out first, and if it is still too big the list stops at a row."""
    sized = [(entry, len(json.dumps(entry, ensure_ascii=False)) + 2) for entry in map(_entry, outcomes)]
    if sum(size for _, size in sized) <= MAX_REPORT_BYTES:
        return [entry for entry, _ in sized]
    quiet = sorted({entry['status'] for entry, _ in sized} & {VALID, SKIPPED})
    if quiet:
        left_out = sum(1 for entry, _ in sized if entry['status'] in quiet)
        warnings.append(
            f'to keep the report within its size limit, the {left_out} rows with status {" or ".join(quiet)} '
            f'are not listed: every row not listed is {" or ".join(quiet)}'
        )
    listed: list[dict[str, Any]] = []
    used = 0
    for entry, size in sized:
        if entry['status'] in quiet:
            continue
        if used + size > MAX_REPORT_BYTES:
            warnings.append(
                f'the report lists rows up to row {listed[-1]["row"] if listed else 1} only, to stay within its '
                f'size limit; the counts cover every row'
            )
            break
        listed.append(entry)
        used += size
    return listed
