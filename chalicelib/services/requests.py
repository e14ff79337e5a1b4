"""Leave, sickness, izin and duty requests from the phone: the employee asks (device-signed, with dates, type,
reason and an optional photo of the letter), the OPD admin approves or rejects (audited), and an approved request
becomes the approved status the day close already reads (``statuses.record_status``).

Choices, and why:

- Four types on the phone, each one status code of the rule profile: cuti tahunan (CT), sakit with a doctor's
  note (S), izin sehari (IZ), dinas luar (DL). The code is checked against the employee's status matrix when the
  request is made, so a request that could never be approved is refused at once with the same reasons.
- The approving admin types the letter's number (``reference``) when the status needs one, as for a status
  recorded by hand: the approval is the admin recording the signed document.
- Approval records the status first (overlap, matrix and reference checks, its own audit entry) and then marks
  the request approved with the status id (a second audited change). If the second write fails, the status
  stands and the request still shows pending; approving again answers ``status_overlap`` naming the status.
- The photo of the letter is a JPEG or PNG bounded like a selfie, kept in the media bucket under the selfies
  prefix (the grant and the retention the selfies have); the admin sees a short-lived link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.errors import Conflict, FieldIssue, ValidationFailed
from chalicelib.domain.models import Employee, Frozen, OfficeLocation, Principal
from chalicelib.domain.text import FreeText
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.domain.tpp.statuses import request_issues
from chalicelib.ports import AuditDraft, Create, Record, Replace
from chalicelib.services import statuses
from chalicelib.services.checkins import JPEG_MAGIC, PNG_MAGIC, DeviceCaller, Mobile
from chalicelib.services.common import KIND_EMPLOYEE, build, dump, load, require

KIND_LEAVE_REQUEST = 'leave_request'
LETTER_PREFIX = 'selfies/letters'
TYPES: dict[str, str] = {'cuti': 'CT', 'sakit': 'S', 'izin': 'IZ', 'dl': 'DL'}
MAX_REQUEST_DAYS = 31


class RequestState(StrEnum):
    PENDING = 'pending'
    APPROVED = 'approved'
    REJECTED = 'rejected'


class LeaveRequest(Frozen):
    request_id: str
    employee_id: str
    opd_id: str
    type: str
    code: str
    first: date
    last: date
    reason: str
    letter_key: str | None = None
    state: RequestState = RequestState.PENDING
    asked_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    status_id: str | None = None
    version: int = 0


class PhoneRequestBody(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    type: Literal['cuti', 'sakit', 'izin', 'dl']
    first: date
    last: date
    reason: FreeText = Field(min_length=5, max_length=500)
    letter: str | None = Field(default=None, min_length=8, description='photo of the letter, base64 JPEG or PNG')


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    reference: FreeText | None = Field(default=None, min_length=3, max_length=120, description='nomor surat')
    location: OfficeLocation | None = Field(default=None, description='where a DL takes place')
    note: FreeText | None = Field(default=None, max_length=500)


class RejectBody(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    reason: FreeText = Field(min_length=5, max_length=300)


def _record(request: LeaveRequest) -> Record:
    return Record(
        KIND_LEAVE_REQUEST, request.request_id, dump(request), request.version,
        list_key=f'{request.opd_id}#{request.state.value}#{request.asked_at.isoformat()}#{request.request_id}',
        lookup=(f'leave_requests#{request.employee_id}', f'{request.asked_at.isoformat()}#{request.request_id}'),
    )  # fmt: skip


def _letter(mobile: Mobile, encoded: str) -> tuple[bytes, str]:
    limit = mobile.settings.max_selfie_bytes
    if len(encoded) > limit * 4 // 3 + 4:
        raise ValidationFailed(f'the letter photo is larger than {limit} bytes', code='image_too_large')
    try:
        image = base64.b64decode(encoded.split(',', 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed('the letter photo must be base64 (a JPEG or PNG)', code='bad_image') from None
    if image.startswith(JPEG_MAGIC):
        return image, 'image/jpeg'
    if image.startswith(PNG_MAGIC):
        return image, 'image/png'
    raise ValidationFailed('the letter photo must be a JPEG or PNG', code='bad_image')


def view(mobile: Mobile | None, request: LeaveRequest, employee: Employee | None = None) -> dict[str, Any]:
    out = {**dump(request), 'version': request.version}
    out.pop('letter_key', None)
    out['has_letter'] = request.letter_key is not None
    if mobile is not None and request.letter_key:
        out['letter_url'] = mobile.media.download_url(request.letter_key, mobile.settings.selfie_link_seconds)
    if employee is not None:
        out['employee'] = {'employee_id': employee.employee_id, 'nip': employee.nip, 'name': employee.name}
    return out


# ---- the phone -------------------------------------------------------------------------------------------------


def ask(
    mobile: Mobile, profiles: Sequence[RuleProfile], caller: DeviceCaller, body: Mapping[str, Any]
) -> dict[str, Any]:
    """The employee's request (audited); refused at once when its type could never be approved for them."""
    deps = mobile.deps
    asked = build(PhoneRequestBody, body)
    employee = caller.employee
    code = TYPES[asked.type]
    in_force = [statuses.matrix_profile(profiles, employee.employee_type, d) for d in (asked.first, asked.last)]
    # The letter's number comes with the approval: checked then, not now.
    issues = request_issues(in_force, employee.employee_type, code, asked.first, asked.last, 'n/a', None)
    if asked.last >= asked.first and (asked.last - asked.first).days + 1 > MAX_REQUEST_DAYS:
        issues += (FieldIssue('last', f'a request covers at most {MAX_REQUEST_DAYS} days; ask for the rest again'),)
    if issues:
        raise ValidationFailed('the request has invalid fields', fields=issues)
    request_id = deps.new_id('req')
    letter_key = None
    if asked.letter:
        image, content_type = _letter(mobile, asked.letter)
        suffix = 'png' if content_type == 'image/png' else 'jpg'
        digest = hashlib.sha256(image).hexdigest()[:12]
        letter_key = f'{LETTER_PREFIX}/{asked.first.isoformat()}/{request_id}-{digest}.{suffix}'
        mobile.media.put_new(letter_key, image, content_type)
    request = LeaveRequest(
        request_id=request_id, employee_id=employee.employee_id, opd_id=employee.opd_id, type=asked.type, code=code,
        first=asked.first, last=asked.last, reason=asked.reason, letter_key=letter_key, asked_at=deps.clock(),
    )  # fmt: skip
    deps.store.commit(
        [Create(_record(request), 'request id collision; try again')],
        AuditDraft(caller.actor, 'leave_request.ask', f'leave_request/{request_id}', employee.opd_id, None,
                   dump(request)),
    )  # fmt: skip
    return view(None, request)


def mine(mobile: Mobile, caller: DeviceCaller, limit: int = 50) -> dict[str, Any]:
    page = mobile.deps.store.list_lookup(f'leave_requests#{caller.employee.employee_id}', '', limit=500)
    items = [view(None, load(LeaveRequest, r)) for r in page.items]
    items.sort(key=lambda r: r['asked_at'], reverse=True)
    return {'items': items[:limit], 'types': dict(TYPES)}


# ---- the OPD admin ---------------------------------------------------------------------------------------------


def list_requests(
    mobile: Mobile, principal: Principal, opd_id: str | None, state: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    if state not in {s.value for s in RequestState}:
        raise ValidationFailed('state must be pending, approved or rejected', code='bad_state')
    opd = scope_opd(principal, Permission.STATUS_READ, opd_id)
    if opd is None:
        raise ValidationFailed('name the OPD (opd=...)', code='opd_required')
    deps = mobile.deps
    page = deps.store.list(KIND_LEAVE_REQUEST, f'{opd}#{state}#', limit=limit, cursor=cursor)
    requests = [load(LeaveRequest, r) for r in page.items]
    people = {e.employee_id: e for e in (load(Employee, require(deps.store, KIND_EMPLOYEE, i))
                                         for i in {r.employee_id for r in requests})}  # fmt: skip
    return [view(mobile, r, people.get(r.employee_id)) for r in requests], page.next_cursor


def _stored(mobile: Mobile, principal: Principal, request_id: str) -> LeaveRequest:
    request = load(LeaveRequest, require(mobile.deps.store, KIND_LEAVE_REQUEST, request_id))
    authorize(principal, Permission.STATUS_WRITE, request.opd_id)
    if request.state is not RequestState.PENDING:
        raise Conflict(f'request {request_id} was already {request.state.value}', code='request_decided',
                       details={'state': request.state.value, 'status_id': request.status_id})  # fmt: skip
    return request


def _decide(mobile: Mobile, principal: Principal, request: LeaveRequest, changes: dict[str, Any], action: str) -> Any:
    deps = mobile.deps
    decided = request.model_copy(update={**changes, 'decided_by': principal.key_id, 'decided_at': deps.clock()})
    deps.store.commit(
        [Replace(_record(decided), f'request {request.request_id} changed meanwhile; reload')],
        AuditDraft(principal.key_id, action, f'leave_request/{request.request_id}', request.opd_id,
                   {'state': request.state.value}, {k: v for k, v in dump(decided).items()
                                                    if k in ('state', 'status_id', 'decision_note')}),
    )  # fmt: skip
    return decided


def approve(
    mobile: Mobile, profiles: Sequence[RuleProfile], principal: Principal, request_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Approve a pending request: its status is recorded as an admin would record it, then the request is marked
    approved with the status id (both audited)."""
    approval = build(ApproveBody, body)
    request = _stored(mobile, principal, request_id)
    note = approval.note or f'Permintaan dari ponsel {request.request_id}: {request.reason}'
    status = statuses.record_status(mobile.deps, profiles, principal, request.employee_id, {
        'code': request.code, 'first': request.first.isoformat(), 'last': request.last.isoformat(),
        'reference': approval.reference, 'note': note[:500],
        **({'location': approval.location.model_dump(mode='json')} if approval.location else {}),
    })  # fmt: skip
    changes = {'state': RequestState.APPROVED, 'status_id': status['status_id'], 'decision_note': approval.note}
    decided = _decide(mobile, principal, request, changes, 'leave_request.approve')
    return {**view(mobile, decided), 'status': status}


def reject(mobile: Mobile, principal: Principal, request_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    rejection = build(RejectBody, body)
    request = _stored(mobile, principal, request_id)
    decided = _decide(mobile, principal, request, {'state': RequestState.REJECTED, 'decision_note': rejection.reason},
                      'leave_request.reject')  # fmt: skip
    return view(mobile, decided)
