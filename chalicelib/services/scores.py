"""Monthly performance scores (skor kinerja from e-kinerja/SKP): set as a JSON list or imported from an e-kinerja
CSV export, listed, and read by the month close.

Choices where the brief leaves room, and why:

- All or nothing: every line is checked (format, NIP registered, duplicates, the caller's OPD) before anything
  is written, and a file with any problem is refused whole, listing every problem with its line. A half-applied
  file would pay some employees on the new figures and others on the old ones without anyone noticing.
- An OPD admin's file that names another OPD's staff is refused with 403 (listing those lines) even when other
  lines have problems too: whose scores a key may set is checked before what they say.
- A score equal to the stored one is not written (no version bump, no audit entry): re-importing the same
  file changes nothing. Changes are committed per OPD in small transactions, each with one audit entry holding
  the before and after of every score it changes, under the month's claim with a journal (``score_imports``):
  a colliding import is refused with 409 before it writes anything, and a reader never sees half an import.
- A score is kept under the OPD the employee is in when it is set; the month close reads it by employee, so a
  transfer later in the month keeps its score.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import OPD_BOUND_ROLES, Permission, authorize, scope_opd
from chalicelib.domain.errors import FieldIssue, Forbidden, ValidationFailed
from chalicelib.domain.models import Employee, Principal
from chalicelib.domain.score_import import MAX_LINES, ScoreLine, entry_lines, flag_repeated, read_score_file
from chalicelib.domain.tpp.records import MONTH_PATTERN
from chalicelib.ports import AllowanceRecords, AuditDraft, Create, Record, Replace, Write
from chalicelib.services import score_imports
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_SCORE,
    KIND_UNIQUE,
    Deps,
    all_records,
    build,
    load,
    unique_record,
)

SOURCE_API = 'api'
SOURCE_EKINERJA = 'e-kinerja'
WRITES_PER_COMMIT = 50  # a DynamoDB transaction holds 100 items; the audit entry's size grows with each score


class ScoreEntry(BaseModel):
    model_config = ConfigDict(extra='forbid')

    nip: str | int | None = Field(default=None, description='18-digit NIP or NI PPPK (give this or employee_id)')
    employee_id: str | None = None
    score: float | int | str | None = Field(default=None, description='0-100, at most two decimals: 87.5 or "87,5"')


class ScoreBatch(BaseModel):
    model_config = ConfigDict(extra='forbid')

    scores: list[ScoreEntry] = Field(min_length=1, max_length=MAX_LINES)


@dataclass(frozen=True)
class _Checked:
    line: ScoreLine
    employee: Employee | None = None


def score_id(month: str, employee_id: str) -> str:
    return f'{month}#{employee_id}'


def _score_record(month: str, employee: Employee, score: Decimal, source: str, by: str, version: int) -> Record:
    data = {'month': month, 'employee_id': employee.employee_id, 'opd_id': employee.opd_id, 'nip': employee.nip,
            'name': employee.name, 'score': format(score, 'f'), 'source': source, 'set_by': by}  # fmt: skip
    return Record(KIND_SCORE, score_id(month, employee.employee_id), data, version,
                  list_key=f'{month}#{employee.opd_id}#{employee.employee_id}')  # fmt: skip


def check_month(month: str | None, field: str = 'month') -> str:
    if month is None:
        raise ValidationFailed('month is required', fields=(FieldIssue(field, 'YYYY-MM is required'),))
    if not re.fullmatch(MONTH_PATTERN, month):
        raise ValidationFailed(f'{month!r} is not a month', fields=(FieldIssue(field, 'expected YYYY-MM'),))
    return month


def dry_run_flag(raw: str | None) -> bool:
    if raw is None or raw.lower() in ('false', '0', 'no'):
        return False
    if raw.lower() in ('true', '1', 'yes'):
        return True
    raise ValidationFailed('dry_run must be true or false', fields=(FieldIssue('query.dry_run', 'true or false'),))


# ---- use cases -------------------------------------------------------------------------------------------------


def set_scores(
    deps: Deps, records: AllowanceRecords, principal: Principal, month: str, body: Mapping[str, Any], dry_run: bool
) -> dict[str, Any]:
    """Set the scores of a month from a JSON list of ``{nip or employee_id, score}`` (audited; all or nothing).

    Raises Forbidden when an OPD admin names another OPD's staff, ValidationFailed listing every problem
    (``scores[<i>].nip|employee_id|score``) otherwise; nothing is written unless every entry is valid.
    """
    authorize(principal, Permission.SCORE_WRITE)
    check_month(month)
    batch = build(ScoreBatch, body)
    lines = entry_lines([entry.model_dump(exclude_none=True) for entry in batch.scores])
    return _apply(deps, records, principal, month, lines, SOURCE_API, dry_run, {})


def import_scores(
    deps: Deps, records: AllowanceRecords, principal: Principal, month: str | None, raw: bytes, dry_run: bool
) -> dict[str, Any]:
    """Import the scores of a month from an e-kinerja CSV export (audited; the file is accepted or refused whole).

    The header may be below title lines; the NIP column and a score column (Nilai, Skor, Capaian, Nilai Kinerja…)
    are found by name; ``;``, ``,`` or tab separated; UTF-8 with or without a BOM, or Windows-1252; decimal
    commas and NIPs with spaces or a leading apostrophe are read as meant. Problems name ``lines[<n>]``.
    """
    authorize(principal, Permission.SCORE_WRITE)
    month = check_month(month, 'query.month')
    parsed = read_score_file(raw)
    report = _apply(deps, records, principal, month, list(parsed.lines), SOURCE_EKINERJA, dry_run, parsed.columns,
                    list(parsed.warnings))  # fmt: skip
    return report


def list_scores(
    deps: Deps, principal: Principal, month: str | None, opd_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The scores of a month (of one OPD; an OPD admin's own), by OPD then employee."""
    scope = scope_opd(principal, Permission.SCORE_READ, opd_id)
    month = check_month(month, 'query.month')
    prefix = f'{month}#{scope}#' if scope else f'{month}#'
    page = deps.store.list(KIND_SCORE, prefix, limit=limit, cursor=cursor)
    return [{**r.data, 'version': r.version} for r in page.items], page.next_cursor


def scores_of_month(deps: Deps, month: str) -> dict[str, Decimal]:
    """Read by the month close: every stored score of the month, by employee, once no import of it is half-done
    (``score_imports.settle``: Conflict while one is running)."""
    score_imports.settle(deps, month)
    return {r.data['employee_id']: Decimal(r.data['score']) for r in all_records(deps.store, KIND_SCORE, f'{month}#')}


# ---- checking and writing --------------------------------------------------------------------------------------


def _apply(
    deps: Deps, records: AllowanceRecords, principal: Principal, month: str, lines: list[ScoreLine], source: str,
    dry_run: bool, columns: dict[str, str], warnings: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    warnings = list(warnings or [])
    checked = _flag_same_employee(_resolve(deps, lines))
    foreign = [c for c in checked if c.employee is not None and not _may_set(principal, c.employee)]
    if foreign:
        fields = tuple(FieldIssue(c.line.path('nip'), f'{_who(c)} is staff of {c.employee.opd_id}, not of '
                                  f'{principal.opd_id}') for c in foreign if c.employee)  # fmt: skip
        raise Forbidden(f'this key may only set scores of OPD {principal.opd_id}; nothing was saved', fields=fields)
    problems = [issue for c in checked for issue in c.line.issues]
    if problems:
        failed = sum(1 for c in checked if c.line.issues)
        raise ValidationFailed(
            f'{failed} of {len(checked)} lines have problems; nothing was saved', fields=tuple(problems),
            details={'lines': len(checked), 'failed': failed, 'columns': columns, 'warnings': warnings},
        )  # fmt: skip
    # One import of the month at a time, with its journal: readers see it whole or not at all (score_imports).
    journal = [_score_record(month, c.employee, c.line.score, source, principal.key_id, 0)
               for c in checked if c.employee is not None and c.line.score is not None]  # fmt: skip
    with nullcontext() if dry_run else score_imports.claimed(deps, principal, month, journal):
        changes = _write(deps, principal, month, checked, source, dry_run)
    if any(r.complete for r in records.revisions(month)):
        warnings.append(f'{month} is already closed: changed scores are paid once the month is closed again '
                        f'(POST /v1/months/{month}/close), in a new revision beside the old one')  # fmt: skip
    return {
        'month': month, 'source': source, 'dry_run': dry_run, 'lines': len(checked),
        'created': sum(1 for c in changes if c['before'] is None),
        'changed': sum(1 for c in changes if c['before'] is not None),
        'unchanged': len(checked) - len(changes), 'columns': columns, 'warnings': warnings, 'changes': changes,
    }  # fmt: skip


def _write(
    deps: Deps, principal: Principal, month: str, checked: list[_Checked], source: str, dry_run: bool
) -> list[dict[str, Any]]:
    """Commit the scores that differ from the stored ones (read under the month's claim); the changes made."""
    stored = deps.store.get_many(KIND_SCORE, [score_id(month, c.employee.employee_id) for c in checked if c.employee])
    writes: dict[str, list[tuple[Write, dict[str, Any]]]] = defaultdict(list)
    changes: list[dict[str, Any]] = []
    for c in checked:
        employee, score = c.employee, c.line.score
        assert employee is not None and score is not None  # lines with problems were refused above
        before = stored.get(score_id(month, employee.employee_id))
        if before is not None and Decimal(before.data['score']) == score:
            continue
        record = _score_record(month, employee, score, source, principal.key_id, before.version if before else 0)
        write: Write = Replace(record) if before else Create(record, 'the score was set at the same moment; retry')
        change = {'line': c.line.where, 'employee_id': employee.employee_id, 'nip': employee.nip,
                  'before': before.data['score'] if before else None, 'after': format(score, 'f')}  # fmt: skip
        writes[employee.opd_id].append((write, change))
        changes.append(change)
    if not dry_run:
        _commit(deps, principal, month, writes)
    return changes


def _resolve(deps: Deps, lines: list[ScoreLine]) -> list[_Checked]:
    guards = deps.store.get_many(KIND_UNIQUE, [unique_record('NIP', line.nip, '').id for line in lines if line.nip])
    owner = {record.id.split('#', 1)[1]: str(record.data['owner']) for record in guards.values()}
    wanted = [owner.get(line.nip, '') if line.nip else line.employee_id or '' for line in lines]
    employees = {i: load(Employee, r) for i, r in deps.store.get_many(KIND_EMPLOYEE, [w for w in wanted if w]).items()}
    checked: list[_Checked] = []
    for line, employee_id in zip(lines, wanted, strict=True):
        employee = employees.get(employee_id)
        if employee is None and line.nip:
            line = line.with_issue('nip', f'NIP {line.nip} is not registered in Hadir')
        elif employee is None and line.employee_id:
            line = line.with_issue('employee_id', f'no employee {line.employee_id}')
        checked.append(_Checked(line, employee))
    return checked


def _flag_same_employee(checked: list[_Checked]) -> list[_Checked]:
    """Two lines for one employee (a NIP twice, or a NIP and the employee's id) are both refused."""
    keys = [c.employee.employee_id if c.employee else None for c in checked]
    lines = flag_repeated([c.line for c in checked], keys)
    return [replace(c, line=line) for c, line in zip(checked, lines, strict=True)]


def _may_set(principal: Principal, employee: Employee) -> bool:
    return principal.role not in OPD_BOUND_ROLES or employee.opd_id == principal.opd_id


def _who(checked: _Checked) -> str:
    employee = checked.employee
    return f'NIP {checked.line.nip}' if checked.line.nip else f'employee {employee.employee_id if employee else "?"}'


def _commit(
    deps: Deps, principal: Principal, month: str, writes: Mapping[str, list[tuple[Write, dict[str, Any]]]]
) -> None:
    for opd_id, pending in sorted(writes.items()):
        for start in range(0, len(pending), WRITES_PER_COMMIT):
            chunk = pending[start : start + WRITES_PER_COMMIT]
            before = {c['employee_id']: c['before'] for _, c in chunk}
            after = {c['employee_id']: c['after'] for _, c in chunk}
            deps.store.commit(
                [w for w, _ in chunk],
                AuditDraft(principal.key_id, 'score.set', f'scores/{month}', opd_id, before, after),
            )
