"""Mobile check-in use cases: activation codes, device binding, face enrolment, check-in and check-out,
the queue that verifies what a busy face engine could not, the review queue and fraud alerts."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import device_auth
from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.checkin import (
    ActivationCode,
    Alert,
    Checkin,
    CheckinKind,
    CheckinPolicy,
    Device,
    Enrolment,
    Evidence,
    Fix,
    Manipulation,
    Outcome,
    Reason,
    decide,
    location_refusal,
    month_of,
    nearest_office,
    public_checkin,
    reason,
    travel_speed_kmh,
)
from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    IdempotencyKeyReused,
    NotFound,
    ServiceBusy,
    TooManyRequests,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.domain.faces import QualityGate, quality_problems
from chalicelib.domain.liveness import Purpose, named_in_challenge
from chalicelib.domain.models import Employee, Opd, Principal, Punch, PunchSource
from chalicelib.domain.punch_keys import phone_punch_id
from chalicelib.domain.text import FreeText, PlainName
from chalicelib.ports import (
    AuditDraft,
    Claim,
    ClaimTaken,
    Create,
    FaceEngine,
    FaceEngineBusy,
    NonceBook,
    ObjectStore,
    Reads,
    Record,
    Replace,
    RequestStore,
    SetField,
    Unit,
    WorkQueue,
    Write,
)
from chalicelib.services import liveness
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_OPD,
    KIND_UNIQUE,
    SYSTEM_ACTOR,
    Deps,
    all_by_lookup,
    build,
    dump,
    load,
    require,
)
from chalicelib.services.liveness import LivenessAnswer
from chalicelib.services.reclose import mark_for_reclose
from chalicelib.settings import Settings

KIND_ACTIVATION = 'activation'
KIND_DEVICE = 'device'
KIND_ENROLMENT = 'enrolment'
KIND_CHECKIN = 'checkin'
KIND_ALERT = 'alert'
KIND_MANIPULATION = 'manipulation'
KIND_SELFIE = 'selfie'
KIND_FACE_CLEARANCE = 'face_clearance'  # two employees a super admin judged different people (alert resolution)
RECENT_CHECKIN_MONTHS = 3

CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'  # no 0/O or 1/I: read aloud and typed on a phone
CODE_LENGTH = 8
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
JPEG_MAGIC, PNG_MAGIC = b'\xff\xd8\xff', b'\x89PNG\r\n\x1a\n'


@dataclass(frozen=True)
class Mobile:
    """What the check-in use cases need beyond the directory: the face engine, the media bucket (home region),
    the queue for busy-engine checks, the nonce book, the thresholds, and the request store."""

    deps: Deps
    faces: FaceEngine
    media: ObjectStore
    queue: WorkQueue
    nonces: NonceBook
    settings: Settings
    requests: RequestStore  # a phone request's reads in one batch, its writes in one transaction

    @property
    def policy(self) -> CheckinPolicy:
        s = self.settings
        return CheckinPolicy(
            match_threshold=s.face_match_threshold, review_threshold=s.face_review_threshold,
            max_accuracy_m=s.max_gps_accuracy_m, review_accuracy_m=s.review_gps_accuracy_m,
            max_speed_kmh=s.max_travel_speed_kmh,
        )  # fmt: skip

    @property
    def gate(self) -> QualityGate:
        return QualityGate()


@dataclass(frozen=True)
class DeviceCaller:
    device: Device
    enrolment: Enrolment
    employee: Employee
    reads: Reads = field(default_factory=Reads)  # what authentication read for the route, in the same batch
    nonce: Claim | None = None  # the request's nonce, to claim with the route's own writes (check-in, challenge)

    @property
    def actor(self) -> str:
        return f'device:{self.device.device_id}'


# ---- records -------------------------------------------------------------------------------------------------


def _activation_record(code: ActivationCode, opd_id: str) -> Record:
    return Record(KIND_ACTIVATION, code.employee_id, dump(code), code.version, list_key=f'{opd_id}#{code.employee_id}')


def _device_record(device: Device) -> Record:
    return Record(KIND_DEVICE, device.device_id, dump(device), device.version, list_key=device.employee_id)


def _enrolment_record(enrolment: Enrolment) -> Record:
    return Record(KIND_ENROLMENT, enrolment.employee_id, dump(enrolment), enrolment.version)


def _checkin_record(checkin: Checkin) -> Record:
    at = checkin.at_utc.isoformat()
    return Record(
        KIND_CHECKIN, checkin.checkin_id, dump(checkin), checkin.version,
        list_key=f'{checkin.outcome.value}#{checkin.opd_id}#{at}#{checkin.checkin_id}',
        lookup=(f'checkins#{checkin.employee_id}', f'{checkin.local_date.isoformat()}#{at}'),
    )  # fmt: skip


def _alert_record(alert: Alert) -> Record:
    return Record(KIND_ALERT, alert.alert_id, dump(alert), list_key=f'{alert.opd_id}#{alert.at.isoformat()}')


def _manipulation_id(employee_id: str, month: str) -> str:
    return f'{employee_id}@{month}'


def manipulation_confirmed(deps: Deps, employee_id: str, month: str) -> bool:
    """Read by the month close: a confirmed manipulation sets the month's attendance part to 0."""
    return deps.store.get(KIND_MANIPULATION, _manipulation_id(employee_id, month)) is not None


def _code_hash(employee_id: str, code: str) -> str:
    normalised = code.replace('-', '').replace(' ', '').upper()
    return hashlib.sha256(f'{employee_id}:{normalised}'.encode()).hexdigest()


def _new_code(deps: Deps) -> str:
    raw = deps.random_bytes(CODE_LENGTH)
    chars = ''.join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in raw)  # 256 % 32 == 0: no bias
    return f'{chars[:4]}-{chars[4:]}'


def _enrolment(deps: Deps, employee_id: str) -> tuple[Enrolment, bool]:
    stored = deps.store.get(KIND_ENROLMENT, employee_id)
    if stored is None:
        return Enrolment(employee_id=employee_id), False
    return load(Enrolment, stored), True


def _enrolment_write(enrolment: Enrolment, existed: bool) -> Write:
    record = _enrolment_record(enrolment)
    return Replace(record) if existed else Create(record, f'employee {enrolment.employee_id} changed meanwhile')


def _employee_in_scope(deps: Deps, principal: Principal, employee_id: str, permission: Permission) -> Employee:
    """The employee an admin route names, once the caller may act on that employee's OPD."""
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, permission, employee.opd_id)
    return employee


def _employee_view(employee: Employee, opd: Opd | None) -> dict[str, Any]:
    return {
        'employee_id': employee.employee_id, 'nip': employee.nip, 'name': employee.name, 'opd_id': employee.opd_id,
        'opd_name': opd.name if opd else None,
    }  # fmt: skip


# ---- admin: activation codes and resets -----------------------------------------------------------------------


def issue_activation_code(mobile: Mobile, principal: Principal, employee_id: str) -> dict[str, Any]:
    deps = mobile.deps
    employee = _employee_in_scope(deps, principal, employee_id, Permission.CHECKIN_WRITE)
    if not employee.active:
        raise Conflict(f'employee {employee_id} is not active', code='employee_inactive')
    enrolment, _ = _enrolment(deps, employee_id)
    if enrolment.device_id:
        raise Conflict(
            f'employee {employee_id} already has an active phone; reset the enrolment first',
            code='device_already_active',
        )
    now = deps.clock()
    code = _new_code(deps)
    stored = deps.store.get(KIND_ACTIVATION, employee_id)
    activation = ActivationCode(
        employee_id=employee_id, code_hash=_code_hash(employee_id, code), issued_at=now,
        expires_at=now + timedelta(hours=mobile.settings.activation_code_hours), issued_by=principal.key_id,
        version=stored.version if stored else 0,
    )  # fmt: skip
    record = _activation_record(activation, employee.opd_id)
    write: Write = Replace(record) if stored else Create(record, 'an activation code was issued meanwhile')
    shown = {'employee_id': employee_id, 'expires_at': activation.expires_at.isoformat()}
    deps.store.commit(
        [write],
        AuditDraft(principal.key_id, 'activation.issue', f'employee/{employee_id}', employee.opd_id, None, shown),
    )
    return {**shown, 'code': code}


class ResetBody(BaseModel):
    model_config = ConfigDict(extra='forbid')

    reason: FreeText = Field(min_length=5, max_length=300)


def reset_enrolment(mobile: Mobile, principal: Principal, employee_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A new phone or a new reference face: revoke the device, forget the face (audited)."""
    deps = mobile.deps
    reset = build(ResetBody, body)
    employee = _employee_in_scope(deps, principal, employee_id, Permission.CHECKIN_WRITE)
    enrolment, existed = _enrolment(deps, employee_id)
    if not existed or (enrolment.device_id is None and enrolment.face_id is None):
        raise NotFound(f'employee {employee_id} has no phone or face enrolled')
    writes: list[Write] = []
    if enrolment.device_id:
        device_record = deps.store.get(KIND_DEVICE, enrolment.device_id)
        if device_record is not None:
            device = load(Device, device_record)
            revoked = device.model_copy(update={'revoked_at': deps.clock()})
            writes.append(Replace(_device_record(revoked)))
    cleared = Enrolment(employee_id=employee_id, version=enrolment.version)
    writes.append(Replace(_enrolment_record(cleared)))
    before = {'device_id': enrolment.device_id, 'face_id': enrolment.face_id}
    deps.store.commit(
        writes,
        AuditDraft(principal.key_id, 'enrolment.reset', f'employee/{employee_id}', employee.opd_id, before,
                   {'device_id': None, 'face_id': None, 'reason': reset.reason}),
    )  # fmt: skip
    if enrolment.face_id:
        mobile.faces.remove([enrolment.face_id])
    return {'employee_id': employee_id, 'device_revoked': enrolment.device_id, 'face_removed': enrolment.face_id}


# ---- the phone: activation and request signatures -------------------------------------------------------------


class ActivateBody(BaseModel):
    model_config = ConfigDict(extra='forbid')

    nip: str = Field(min_length=2, max_length=40)
    code: str = Field(min_length=4, max_length=20)
    device_name: PlainName = Field(default='Ponsel', min_length=1, max_length=120)
    public_key: dict[str, str]


def _employee_by_nip_or_id(deps: Deps, nip: str) -> Employee | None:
    claim = deps.store.get(KIND_UNIQUE, f'NIP#{nip}')
    employee_id = str(claim.data.get('owner') or claim.data.get('employee_id')) if claim else nip
    stored = deps.store.get(KIND_EMPLOYEE, employee_id)
    return load(Employee, stored) if stored else None


def activate(mobile: Mobile, body: Mapping[str, Any]) -> dict[str, Any]:
    deps = mobile.deps
    request = build(ActivateBody, body)
    failed = Unauthenticated('NIP atau kode aktivasi salah.', code='activation_failed')
    employee = _employee_by_nip_or_id(deps, request.nip.strip())
    stored = deps.store.get(KIND_ACTIVATION, employee.employee_id) if employee else None
    if employee is None or stored is None or not employee.active:
        raise failed
    activation = load(ActivationCode, stored)
    now = deps.clock()
    if activation.locked_until and activation.locked_until > now:
        raise TooManyRequests(
            f'Terlalu banyak percobaan. Coba lagi setelah {activation.locked_until:%H:%M} UTC.',
            code='too_many_attempts',
        )
    if not hmac.compare_digest(activation.code_hash, _code_hash(employee.employee_id, request.code)):
        attempts = activation.failed_attempts + 1
        locked = now + LOCKOUT if attempts >= MAX_FAILED_ATTEMPTS else None
        counted = activation.model_copy(update={'failed_attempts': 0 if locked else attempts, 'locked_until': locked})
        deps.store.commit([Replace(_activation_record(counted, employee.opd_id))], None)
        raise failed
    if activation.used_at is not None:
        raise Conflict('Kode aktivasi ini sudah dipakai. Minta kode baru ke admin OPD.', code='activation_used')
    if activation.expires_at <= now:
        raise Gone('Kode aktivasi sudah kedaluwarsa. Minta kode baru ke admin OPD.', code='activation_expired')
    try:
        device_auth.public_key_from_jwk(request.public_key)
    except ValueError as exc:
        raise ValidationFailed(str(exc), code='bad_public_key') from None
    enrolment, existed = _enrolment(deps, employee.employee_id)
    if enrolment.device_id:
        raise Conflict('Pegawai ini sudah punya ponsel aktif.', code='device_already_active')
    device = Device(
        device_id=deps.new_id('dev'), employee_id=employee.employee_id, name=request.device_name,
        public_key=request.public_key, activated_at=now,
    )  # fmt: skip
    bound = enrolment.model_copy(update={'device_id': device.device_id})
    used = activation.model_copy(update={'used_at': now, 'failed_attempts': 0})
    deps.store.commit(
        [
            Replace(_activation_record(used, employee.opd_id)),
            Create(_device_record(device), 'device id collision; try again'),
            _enrolment_write(bound, existed),
        ],
        AuditDraft(f'employee:{employee.employee_id}', 'device.activate', f'employee/{employee.employee_id}',
                   employee.opd_id, None, {'device_id': device.device_id, 'device_name': device.name}),
    )  # fmt: skip
    opd_record = deps.store.get(KIND_OPD, employee.opd_id)
    return {
        'device_id': device.device_id,
        'employee': _employee_view(employee, load(Opd, opd_record) if opd_record else None),
        'face_enrolled': bound.face_id is not None,
    }


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


CHECKIN_ROUTE = ('POST', '/v1/mobile/checkins')
CHALLENGE_ROUTE = ('POST', '/v1/mobile/liveness')
# Routes whose own transaction claims the request's nonce (one write per request); the others claim it at once.
NONCE_WITH_OWN_WRITES = frozenset({CHECKIN_ROUTE, CHALLENGE_ROUTE})


def authenticate_device(mobile: Mobile, request: SignedRequest) -> DeviceCaller:
    """The signed request's device, enrolment and employee, once the signature, the timestamp and the nonce pass.

    The device is read in one batch with what the route will need and the request alone names (a check-in's
    challenge, employee, office, photo hashes and Idempotency-Key: ``_checkin_keys``); the signature is checked
    before any of it is used."""
    device_id = request.headers.get('x-hadir-device')
    timestamp = request.headers.get('x-hadir-timestamp')
    nonce = request.headers.get('x-hadir-nonce')
    signature = request.headers.get('x-hadir-signature')
    if not (device_id and timestamp and nonce and signature):
        raise Unauthenticated(
            'this route needs a signed request: X-Hadir-Device, X-Hadir-Timestamp, X-Hadir-Nonce, X-Hadir-Signature',
            code='device_signature_missing',
        )
    if len(device_id) > 40:
        raise Unauthenticated('Perangkat tidak dikenal. Aktivasi ulang aplikasi.', code='unknown_device')
    route = (request.method, request.path)
    records, claims = _checkin_keys(device_id, request) if route == CHECKIN_ROUTE else ([], [])
    nonce_id = _nonce_id(device_id, nonce)
    reads = mobile.requests.read([(KIND_DEVICE, device_id), *records], [nonce_id, *claims])
    device = _signed_device(mobile, reads, request, device_id, timestamp, nonce, signature)
    now = mobile.deps.clock()
    pending: Claim | None = Claim(nonce_id, now + 2 * device_auth.MAX_CLOCK_DIFFERENCE)
    if route not in NONCE_WITH_OWN_WRITES:
        # Claimed only after the signature checks out: nobody else can burn a device's nonces.
        if not mobile.nonces.claim(device.device_id, nonce, now + 2 * device_auth.MAX_CLOCK_DIFFERENCE):
            raise Unauthenticated('this request was already received once (replayed nonce)', code='replayed_nonce')
        pending = None
    try:
        return _bound_caller(mobile, device, reads, pending)
    except DomainError:
        _claim_now(mobile, pending)
        raise


def _signed_device(
    mobile: Mobile, reads: Reads, request: SignedRequest, device_id: str, timestamp: str, nonce: str, signature: str
) -> Device:
    stored = reads.get(KIND_DEVICE, device_id)
    if stored is None:
        raise Unauthenticated('Perangkat tidak dikenal. Aktivasi ulang aplikasi.', code='unknown_device')
    device = load(Device, stored)
    if device.revoked_at is not None:
        _refuse_inactive(mobile.deps, device)
        raise Unauthenticated(
            'Perangkat ini sudah dinonaktifkan oleh admin. Aktivasi ulang dengan kode baru.', code='device_revoked'
        )
    now = mobile.deps.clock()
    try:
        device_auth.check_freshness(timestamp, nonce, now)
    except device_auth.DeviceAuthError as exc:
        details: dict[str, object] = {'server_time_ms': int(now.timestamp() * 1000)}
        raise Unauthenticated(str(exc), code=exc.code, details=details) from None
    text = device_auth.signed_text(request.method, request.path, request.query, timestamp, nonce, request.body)
    if not device_auth.signature_is_valid(device.public_key, text, signature):
        raise Unauthenticated('the request signature does not match this device', code='bad_signature')
    if _taken(reads.claims.get(_nonce_id(device_id, nonce)), now):
        raise Unauthenticated('this request was already received once (replayed nonce)', code='replayed_nonce')
    return device


def _bound_caller(mobile: Mobile, device: Device, reads: Reads, nonce: Claim | None) -> DeviceCaller:
    """The device's enrolment and employee (read now unless the first batch had them): the device must still be
    the enrolment's, and the employee active."""
    employee_id = device.employee_id
    reads = _with(mobile, reads, [(KIND_ENROLMENT, employee_id), (KIND_EMPLOYEE, employee_id)])
    stored_enrolment = reads.get(KIND_ENROLMENT, employee_id)
    enrolment = load(Enrolment, stored_enrolment) if stored_enrolment else Enrolment(employee_id=employee_id)
    if enrolment.device_id != device.device_id:
        raise Unauthenticated('Perangkat ini sudah dinonaktifkan oleh admin.', code='device_revoked')
    stored_employee = reads.get(KIND_EMPLOYEE, employee_id)
    if stored_employee is None:
        raise NotFound(f'{KIND_EMPLOYEE} {employee_id} does not exist')
    employee = load(Employee, stored_employee)
    if not employee.active:
        _revoke_for_inactive(mobile.deps, device, enrolment, employee)
    return DeviceCaller(device, enrolment, employee, reads, nonce)


def _with(mobile: Mobile, reads: Reads, keys: Sequence[tuple[str, str]], claims: Sequence[str] = ()) -> Reads:
    """`reads` with these records and claims too, read in one batch if the first one did not ask for them."""
    missing = [key for key in dict.fromkeys(keys) if key not in reads.asked]
    missing_claims = [c for c in dict.fromkeys(claims) if c not in reads.asked_claims]
    if not missing and not missing_claims:
        return reads
    return reads.merged(mobile.requests.read(missing, missing_claims))


def _nonce_id(device_id: str, nonce: str) -> str:
    return f'nonce#{device_id}#{nonce}'  # DynamoNonceBook's id: both claim the same item


def _idempotency_id(device_id: str, key: str) -> str:
    return f'checkin#{device_id}#{key}'


def _taken(claim: Claim | None, now: datetime) -> bool:
    return claim is not None and claim.expires_at >= now


def _claim_now(mobile: Mobile, nonce: Claim | None) -> None:
    """Claim a request's nonce that its own writes did not (the request was refused): used once all the same."""
    if nonce is None:
        return
    try:
        mobile.requests.commit(Unit(claims=[nonce]), mobile.deps.clock())
    except ClaimTaken:
        pass  # the transaction that refused it (a replay) or a concurrent copy claimed it


def _checkin_keys(device_id: str, request: SignedRequest) -> tuple[list[tuple[str, str]], list[str]]:
    """The records and claims a check-in reads, as far as the request names them: its Idempotency-Key, both
    photos' hashes, and the challenge, whose id names the employee and the office. Unparsable parts name nothing
    (the service refuses them later, in its own words)."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return [], []
    if not isinstance(body, dict):
        return [], []
    key = request.headers.get('idempotency-key')
    claims = [_idempotency_id(device_id, key)] if key else []
    images = [body.get('image')]
    records: list[tuple[str, str]] = []
    live = body.get('liveness')
    if isinstance(live, dict):
        images.append(live.get('turned_image'))
        challenge = live.get('challenge_id')
        if isinstance(challenge, str) and 4 <= len(challenge) <= 100:
            records.append((liveness.KIND_CHALLENGE, challenge))
            named = named_in_challenge(challenge)
            if named:
                employee_id, opd_id = named
                records += [(KIND_EMPLOYEE, employee_id), (KIND_ENROLMENT, employee_id),
                            (liveness.KIND_FACE_PRINTS, employee_id), (KIND_OPD, opd_id)]  # fmt: skip
    for image in images:
        sha = _image_sha(image)
        if sha:
            records.append((KIND_SELFIE, sha))
    return records, claims


def _image_sha(encoded: object) -> str | None:
    if not isinstance(encoded, str):
        return None
    try:
        return hashlib.sha256(base64.b64decode(encoded.split(',', 1)[-1], validate=True)).hexdigest()
    except (binascii.Error, ValueError):
        return None


_INACTIVE = ('Akun pegawai Anda tidak aktif (dinonaktifkan atau pindah ke luar pemda), jadi ponsel ini tidak bisa '
             'dipakai untuk presensi lagi. Hubungi admin OPD Anda.')  # fmt: skip


def _refuse_inactive(deps: Deps, device: Device) -> None:
    stored = deps.store.get(KIND_EMPLOYEE, device.employee_id)
    if stored is not None and not load(Employee, stored).active:
        raise Forbidden(_INACTIVE, code='employee_inactive')


def _revoke_for_inactive(deps: Deps, device: Device, enrolment: Enrolment, employee: Employee) -> None:
    """A deactivated employee's phone (a transfer out of the pemda deactivates too) is revoked at its first request
    and refused on every one after: activating again needs the employee active and a new code."""
    revoked = device.model_copy(update={'revoked_at': deps.clock()})
    unbound = enrolment.model_copy(update={'device_id': None})
    try:
        deps.store.commit(
            [Replace(_device_record(revoked)), Replace(_enrolment_record(unbound))],
            AuditDraft(SYSTEM_ACTOR, 'device.revoke', f'employee/{employee.employee_id}', employee.opd_id,
                       {'device_id': device.device_id}, {'device_id': None, 'reason': 'employee_inactive'}),
        )  # fmt: skip
    except Conflict:
        pass  # a concurrent request revoked it first
    raise Forbidden(_INACTIVE, code='employee_inactive')


def me(mobile: Mobile, caller: DeviceCaller) -> dict[str, Any]:
    opd_record = mobile.deps.store.get(KIND_OPD, caller.employee.opd_id)
    opd = load(Opd, opd_record) if opd_record else None
    now = mobile.deps.clock()
    return {
        'employee': _employee_view(caller.employee, opd),
        'device': {'device_id': caller.device.device_id, 'activated_at': caller.device.activated_at.isoformat()},
        'face_enrolled': caller.enrolment.face_id is not None,
        'offices': [loc.model_dump(mode='json') for loc in opd.locations] if opd else [],
        'max_accuracy_m': mobile.settings.max_gps_accuracy_m,
        'server_time_ms': int(now.timestamp() * 1000),
    }


# ---- images ----------------------------------------------------------------------------------------------------


def _image(mobile: Mobile, encoded: str) -> bytes:
    if len(encoded) > mobile.settings.max_selfie_bytes * 4 // 3 + 4:
        raise ValidationFailed(f'image is larger than {mobile.settings.max_selfie_bytes} bytes', code='image_too_large')
    try:
        image = base64.b64decode(encoded.split(',', 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed('image must be base64 (a JPEG or PNG)', code='bad_image') from None
    if not image.startswith((JPEG_MAGIC, PNG_MAGIC)):
        raise ValidationFailed('image must be a JPEG or PNG photo', code='bad_image')
    return image


class FaceBody(BaseModel):
    model_config = ConfigDict(extra='forbid')

    image: str = Field(min_length=8)
    liveness: LivenessAnswer | None = None


def _live(
    mobile: Mobile, caller: DeviceCaller, answer: LivenessAnswer | None, image: bytes, purpose: Purpose
) -> liveness.Live | None:
    """The liveness frames, once the challenge they answer is consumed; None when sent without and not required."""
    if answer is None:
        if mobile.settings.liveness_required:
            raise ValidationFailed('Aplikasi perlu diperbarui: presensi kini meminta gerakan kepala. Muat ulang '
                                   'halaman ini.', code='liveness_required')  # fmt: skip
        return None
    turned = _image(mobile, answer.turned_image)
    return liveness.Live(liveness.claim(mobile, caller, answer, purpose, purpose), image, turned)


def _detect(mobile: Mobile, image: bytes) -> list[Any]:
    try:
        return mobile.faces.detect(image)
    except ValueError as exc:
        raise ValidationFailed(f'the photo cannot be read: {exc}', code='bad_image') from None


def enrol_face(mobile: Mobile, caller: DeviceCaller, body: Mapping[str, Any]) -> dict[str, Any]:
    deps, employee = mobile.deps, caller.employee
    request = build(FaceBody, body)
    image = _image(mobile, request.image)
    if caller.enrolment.face_id is not None:
        raise Conflict('Wajah Anda sudah terdaftar. Perubahan perlu reset oleh admin.', code='face_already_enrolled')
    live = _live(mobile, caller, request.liveness, image, 'enrol')
    try:
        faces = _detect(mobile, image)
        problems = quality_problems(faces, mobile.gate)
        if problems:
            raise ValidationFailed(
                'Foto wajah belum memenuhi syarat.', code='face_quality',
                details={'problems': [{'code': p.code, 'message': p.message} for p in problems]},
            )  # fmt: skip
        if live is not None:
            liveness.check_enrolment(mobile, live, faces[0])
        # One search down to the review threshold: a match at the blocking threshold blocks the enrolment; one in the
        # band below it (the same band a check-in sends to review) enrols and raises an alert for review.
        blocking = mobile.settings.duplicate_face_threshold
        floor = min(mobile.settings.face_review_threshold, blocking)
        matches = [
            m for m in mobile.faces.search(image, floor)
            if m.external_id != employee.employee_id and not _cleared(deps, employee.employee_id, m.external_id)
        ]  # fmt: skip
        strong = [m for m in matches if m.similarity >= blocking]
        if strong:
            _raise_duplicate_alert(mobile, caller, strong[0].external_id, strong[0].similarity, image)
        possible = max(matches, key=lambda m: m.similarity, default=None)
        now = deps.clock()
        face_key = f'faces/{employee.employee_id}/{now:%Y%m%dT%H%M%S}-{caller.device.device_id}.jpg'
        mobile.media.put_new(face_key, image, 'image/jpeg')
        face_id = mobile.faces.index(image, employee.employee_id)
    except FaceEngineBusy:
        raise ServiceBusy('Layanan wajah sedang sibuk. Coba lagi sebentar lagi.', code='face_service_busy') from None
    enrolled = caller.enrolment.model_copy(update={'face_id': face_id, 'face_key': face_key, 'face_enrolled_at': now})
    try:
        deps.store.commit(
            [Replace(_enrolment_record(enrolled))],
            AuditDraft(caller.actor, 'face.enrol', f'employee/{employee.employee_id}', employee.opd_id, None,
                       {'face_id': face_id, 'face_key': face_key}),
        )  # fmt: skip
    except Conflict:
        mobile.faces.remove([face_id])  # a concurrent enrolment won; leave no orphan face in the collection
        raise
    liveness.remember_reference(mobile, employee.employee_id, image, faces[0])
    if possible is not None:
        _possible_duplicate_alert(mobile, caller, possible.external_id, possible.similarity, face_key)
    return {'face_enrolled': True, 'enrolled_at': now.isoformat()}


def _possible_duplicate_alert(mobile: Mobile, caller: DeviceCaller, other: str, similarity: float, key: str) -> None:
    """A non-blocking alert: the enrolled face resembles another employee's in the review band. A super admin
    resolves it as different people (``resolve_alert``), as for a blocked enrolment."""
    deps, employee = mobile.deps, caller.employee
    alert = Alert(
        alert_id=deps.new_id('alr'), kind='possible_duplicate_face', employee_id=employee.employee_id,
        opd_id=employee.opd_id, at=deps.clock(), other_employee_id=other, similarity=round(similarity, 1),
        message=f'{employee.employee_id} enrolled with a face {similarity:.1f}% like {other}\'s: check they differ',
        photo_key=key,
    )  # fmt: skip
    deps.store.commit(
        [Create(_alert_record(alert), 'alert id collision')],
        AuditDraft(caller.actor, 'alert.possible_duplicate_face', f'employee/{employee.employee_id}',
                   employee.opd_id, None, dump(alert)),
    )  # fmt: skip


def _raise_duplicate_alert(mobile: Mobile, caller: DeviceCaller, other: str, similarity: float, image: bytes) -> None:
    deps, employee = mobile.deps, caller.employee
    alert_id = deps.new_id('alr')
    # The blocked photo is kept beside the alert: the reviewer compares it with the other employee's face.
    photo_key = f'faces/blocked/{employee.employee_id}/{alert_id}.jpg'
    mobile.media.put_new(photo_key, image, 'image/jpeg')
    alert = Alert(
        alert_id=alert_id, kind='duplicate_face', employee_id=employee.employee_id,
        opd_id=employee.opd_id, at=deps.clock(), other_employee_id=other, similarity=round(similarity, 1),
        message=f'enrolment of {employee.employee_id} blocked: the face is already enrolled under {other}',
        photo_key=photo_key,
    )  # fmt: skip
    deps.store.commit(
        [Create(_alert_record(alert), 'alert id collision')],
        AuditDraft(caller.actor, 'alert.duplicate_face', f'employee/{employee.employee_id}', employee.opd_id, None,
                   dump(alert)),
    )  # fmt: skip
    raise Conflict(
        'Wajah ini sudah terdaftar atas nama pegawai lain. Pendaftaran diblokir dan dilaporkan ke BKPSDM.',
        code='duplicate_face', details={'alert_id': alert.alert_id},
    )  # fmt: skip


# ---- check-in and check-out ------------------------------------------------------------------------------------


class CheckinBody(BaseModel):
    model_config = ConfigDict(extra='forbid')

    kind: CheckinKind
    image: str = Field(min_length=8)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100_000)
    client_time: str | None = Field(default=None, max_length=40)
    liveness: LivenessAnswer | None = None


def check_in(
    mobile: Mobile, caller: DeviceCaller, body: Mapping[str, Any], idempotency_key: str | None = None
) -> dict[str, Any]:
    """One check-in or check-out: geofence, face and liveness, then every record in one transaction (the
    check-in, its punch when accepted, the challenge consumed, the photos' hashes, liveness' evidence, the last
    position, the request's nonce and its Idempotency-Key with the answer a retry gets)."""
    try:
        return _check_in(mobile, caller, body, idempotency_key)
    except DomainError:
        _claim_now(mobile, caller.nonce)
        raise


def _check_in(
    mobile: Mobile, caller: DeviceCaller, body: Mapping[str, Any], idempotency_key: str | None
) -> dict[str, Any]:
    deps, employee, policy = mobile.deps, caller.employee, mobile.policy
    request = build(CheckinBody, body)
    now = deps.clock()
    retry = _Retry.of(mobile, caller, body, idempotency_key, now)
    image = _image(mobile, request.image)
    turned = _image(mobile, request.liveness.turned_image) if request.liveness else None
    reads = _checkin_reads(mobile, caller, retry, image, turned, request.liveness)
    answered = retry.answer(reads, now) if retry else None
    if answered is not None:
        _claim_now(mobile, caller.nonce)
        return answered
    if caller.enrolment.face_id is None or caller.enrolment.face_key is None:
        raise Conflict('Rekam wajah dulu sebelum presensi.', code='face_not_enrolled')
    live, challenge_write = _checkin_live(mobile, caller, request.liveness, image, turned, reads)
    opd = load(Opd, _required(mobile, reads, KIND_OPD, employee.opd_id))
    local = now.astimezone(ZoneInfo(opd.zone))
    nearest = nearest_office(request.lat, request.lon, opd.locations)
    if nearest is None or nearest[1] > 0:
        # Outside every office: an approved duty's place may be where the employee is today (one query). Inside
        # one, no place can be nearer (distance 0, and the first nearest wins). Imported here: the statuses load
        # the TPP engine, which a check-in at the office never needs (about 50 ms of a cold start).
        from chalicelib.services.statuses import duty_places

        places = (*opd.locations, *duty_places(deps, employee.employee_id, local.date()))
        nearest = nearest_office(request.lat, request.lon, places)
    office, distance = nearest if nearest else (None, None)
    selfie_sha = hashlib.sha256(image).hexdigest()
    evidence = Evidence(
        distance_m=distance, office=office, accuracy_m=request.accuracy_m,
        selfie_seen_before=reads.get(KIND_SELFIE, selfie_sha) is not None,
        speed_kmh=travel_speed_kmh(caller.enrolment.last_fix, request.lat, request.lon, now, policy),
    )  # fmt: skip
    measured = liveness.Measured(evidence)
    if location_refusal(distance, office, request.accuracy_m, policy) is None:
        if live is not None:
            measured = liveness.measure_checkin(mobile, evidence, mobile.media.get(caller.enrolment.face_key), live)
            evidence = measured.evidence
        else:
            evidence = _with_face(mobile, evidence, caller.enrolment.face_key, image)
    outcome, reasons = decide(evidence, policy)
    if live is not None:
        signals = liveness.reuse_signals(mobile, employee.employee_id, live, measured.frontal_print, reads=reads)
        outcome, reasons = liveness.combine(outcome, reasons, measured, signals)
    checkin_id = deps.new_id('chk')
    selfie_key = f'selfies/{local.date().isoformat()}/{checkin_id}.jpg'
    mobile.media.put_new(selfie_key, image, 'image/jpeg')
    checkin = Checkin(
        checkin_id=checkin_id, employee_id=employee.employee_id, opd_id=employee.opd_id,
        device_id=caller.device.device_id, kind=request.kind, at_utc=now, local_date=local.date(),
        local_time=f'{local:%H:%M}', zone=opd.zone, outcome=outcome, reasons=reasons, lat=request.lat,
        lon=request.lon, accuracy_m=request.accuracy_m, distance_m=None if distance is None else round(distance),
        office=office, similarity=None if evidence.similarity is None else round(evidence.similarity, 1),
        selfie_key=selfie_key, selfie_sha256=selfie_sha, client_time=request.client_time,
        selfie_seen_before=evidence.selfie_seen_before, quality_passed=evidence.quality_passed,
        speed_kmh=None if evidence.speed_kmh is None else round(evidence.speed_kmh, 1),
    )  # fmt: skip
    punches = []
    if outcome is Outcome.ACCEPTED:
        punch = _phone_punch(checkin, now)
        punches.append(punch)
        checkin = checkin.model_copy(update={'punch_id': punch.punch_id})
    records = []
    if not evidence.selfie_seen_before:  # the first sighting of a photo is the one remembered
        records.append(Record(KIND_SELFIE, selfie_sha, {'checkin_id': checkin_id, 'employee_id': employee.employee_id}))
    if live is not None:
        records += liveness.keep(mobile, checkin_id, employee.employee_id, local.date(), live, measured, reads)
    fields = []
    if outcome is not Outcome.REFUSED:
        fix = Fix(lat=request.lat, lon=request.lon, at=now)
        fields.append(SetField(KIND_ENROLMENT, employee.employee_id, 'last_fix', fix.model_dump(mode='json')))
    answer = public_checkin(checkin)
    claims = [c for c in (caller.nonce, retry.claim(answer) if retry else None) if c is not None]
    writes: list[Write] = [Create(_checkin_record(checkin), 'check-in id collision; send it again')]
    if challenge_write is not None:
        writes.append(challenge_write)
    try:
        unit = Unit(writes=writes, records=records, fields=fields, punches=punches, claims=claims)
        mobile.requests.commit(unit, now)
    except ClaimTaken as taken:
        if retry is not None and taken.claim_id == retry.claim_id:
            # A copy of this request, sent at the same time, was recorded first: its answer is this one's.
            answered = retry.answer(mobile.requests.read([], [retry.claim_id]), now)
            if answered is not None:
                return answered
        raise Unauthenticated('this request was already received once (replayed nonce)',
                              code='replayed_nonce') from None  # fmt: skip
    except Conflict:
        if challenge_write is None:
            raise
        raise liveness.used_challenge() from None  # another request consumed the challenge after it was read
    if outcome is Outcome.PENDING:
        mobile.queue.send({'checkin_id': checkin_id})
    return answer


def _checkin_reads(
    mobile: Mobile,
    caller: DeviceCaller,
    retry: _Retry | None,
    image: bytes,
    turned: bytes | None,
    answer: LivenessAnswer | None,
) -> Reads:
    """Everything the check-in reads, from the device's batch; what that batch could not name is read in one
    more (a check-in without a challenge, or an employee moved to another OPD since the challenge)."""
    employee = caller.employee
    keys = [(KIND_OPD, employee.opd_id), (KIND_SELFIE, hashlib.sha256(image).hexdigest())]
    if answer is not None and turned is not None:
        keys += [(liveness.KIND_CHALLENGE, answer.challenge_id), (KIND_SELFIE, hashlib.sha256(turned).hexdigest()),
                 (liveness.KIND_FACE_PRINTS, employee.employee_id)]  # fmt: skip
    return _with(mobile, caller.reads, keys, [retry.claim_id] if retry else [])


def _required(mobile: Mobile, reads: Reads, kind: str, record_id: str) -> Record:
    record = reads.get(kind, record_id)
    if record is None:
        raise NotFound(f'{kind} {record_id} does not exist')
    return record


def _checkin_live(
    mobile: Mobile,
    caller: DeviceCaller,
    answer: LivenessAnswer | None,
    image: bytes,
    turned: bytes | None,
    reads: Reads,
) -> tuple[liveness.Live | None, Replace | None]:
    """The liveness frames with the challenge they answer, and the write that consumes it (in the check-in's
    transaction); (None, None) when sent without and not required."""
    if answer is None or turned is None:
        if mobile.settings.liveness_required:
            raise ValidationFailed('Aplikasi perlu diperbarui: presensi kini meminta gerakan kepala. Muat ulang '
                                   'halaman ini.', code='liveness_required')  # fmt: skip
        return None, None
    stored = reads.get(liveness.KIND_CHALLENGE, answer.challenge_id)
    consumed, write = liveness.consume(mobile, caller, answer, 'checkin', 'checkin', stored)
    return liveness.Live(consumed, image, turned), write


@dataclass(frozen=True)
class _Retry:
    """A check-in's Idempotency-Key: a retry with the same key and body gets the first answer; with another body,
    422. Kept as a claim (the idempotency table, TTL'd like Powertools' records) in the check-in's transaction."""

    claim_id: str
    request_sha256: str
    expires_at: datetime

    @classmethod
    def of(
        cls, mobile: Mobile, caller: DeviceCaller, body: Mapping[str, Any], key: str | None, now: datetime
    ) -> _Retry | None:
        if not key:
            return None
        canonical = json.dumps(dict(body), sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        ttl = timedelta(seconds=mobile.settings.idempotency_ttl_seconds)
        return cls(_idempotency_id(caller.device.device_id, key), hashlib.sha256(canonical.encode()).hexdigest(),
                   now + ttl)  # fmt: skip

    def answer(self, reads: Reads, now: datetime) -> dict[str, Any] | None:
        """The first answer, if this key was used (and has not expired); IdempotencyKeyReused for another body."""
        taken = reads.claims.get(self.claim_id)
        if not _taken(taken, now) or taken is None or taken.data is None:
            return None
        if taken.data.get('request_sha256') != self.request_sha256:
            raise IdempotencyKeyReused('this Idempotency-Key was already used with a different request body')
        answer: dict[str, Any] = taken.data['answer']
        return answer

    def claim(self, answer: dict[str, Any]) -> Claim:
        return Claim(self.claim_id, self.expires_at, {'request_sha256': self.request_sha256, 'answer': answer})


def _with_face(mobile: Mobile, evidence: Evidence, face_key: str, image: bytes) -> Evidence:
    """Quality gate, then one comparison with the enrolled face; a busy engine leaves the face unchecked. A gate
    already passed is not run again: under a quota every call saved is a check-in verified sooner."""
    try:
        if not evidence.quality_passed:
            problems = quality_problems(_detect(mobile, image), mobile.gate)
            if problems:
                return _replace(evidence, quality=tuple(problems), face_checked=True)
            evidence = _replace(evidence, quality_passed=True)
        similarity = mobile.faces.compare(mobile.media.get(face_key), image)
    except FaceEngineBusy:
        return _replace(evidence, face_checked=False)
    return _replace(evidence, similarity=similarity, face_checked=True)


def _replace(evidence: Evidence, **changes: Any) -> Evidence:
    from dataclasses import replace

    return replace(evidence, **changes)


def _phone_punch(checkin: Checkin, received_at: datetime) -> Punch:
    """The check-in's punch at its server time; its id follows from the check-in's, so it lands once."""
    return Punch(
        punch_id=phone_punch_id(checkin.employee_id, checkin.checkin_id), source=PunchSource.PHONE,
        employee_id=checkin.employee_id, opd_id=checkin.opd_id, at_utc=checkin.at_utc, local_date=checkin.local_date,
        zone=checkin.zone, raw=checkin.kind, received_at=received_at,
    )  # fmt: skip


def _punch(mobile: Mobile, checkin: Checkin) -> Checkin:
    """Write the punch of a check-in decided later (the queue, a review); a day already closed is marked for
    recomputation."""
    deps = mobile.deps
    punch = _phone_punch(checkin, deps.clock())
    deps.ledger.record([punch])
    if checkin.local_date < deps.clock().astimezone(ZoneInfo(checkin.zone)).date():
        mark_for_reclose(deps, {checkin.local_date}, f'checkin {checkin.checkin_id}')
    return checkin.model_copy(update={'punch_id': punch.punch_id})


def verify_queued(mobile: Mobile, checkin_id: str) -> str:
    """The queue consumer: compare the face of a pending check-in now. Safe to receive twice."""
    deps = mobile.deps
    stored = deps.store.get(KIND_CHECKIN, checkin_id)
    if stored is None:
        return 'unknown'
    checkin = load(Checkin, stored)
    if checkin.outcome is not Outcome.PENDING:
        return 'already-decided'
    enrolment, _ = _enrolment(deps, checkin.employee_id)
    if enrolment.face_key is None:
        reasons: tuple[Reason, ...]
        outcome, reasons = Outcome.REVIEW, (reason('face_reset', 'Wajah terdaftar direset sebelum verifikasi.'),)
        similarity = None
    else:
        evidence = Evidence(
            distance_m=checkin.distance_m, office=checkin.office, accuracy_m=checkin.accuracy_m,
            selfie_seen_before=checkin.selfie_seen_before, speed_kmh=checkin.speed_kmh,
            quality_passed=checkin.quality_passed,
        )  # fmt: skip
        selfie = mobile.media.get(checkin.selfie_key)
        live = liveness.stored_live(mobile, checkin_id, selfie)
        if live is not None:
            measured = liveness.measure_checkin(mobile, evidence, mobile.media.get(enrolment.face_key), live)
            evidence = measured.evidence
        else:
            evidence = _with_face(mobile, evidence, enrolment.face_key, selfie)
        if not evidence.face_checked:
            if evidence.quality_passed and not checkin.quality_passed:
                deps.store.set_field(KIND_CHECKIN, checkin_id, 'quality_passed', True)
            if live is not None:
                liveness.record_frontal(mobile, checkin_id, measured)
            mobile.queue.send({'checkin_id': checkin_id}, delay_seconds=mobile.settings.face_retry_seconds)
            return 'requeued'
        outcome, reasons = decide(evidence, mobile.policy)
        if live is not None:
            signals = liveness.reuse_signals(mobile, checkin.employee_id, live, measured.frontal_print, checkin_id)
            outcome, reasons = liveness.combine(outcome, reasons, measured, signals)
            liveness.record_measures(mobile, checkin_id, measured)
        similarity = None if evidence.similarity is None else round(evidence.similarity, 1)
    decided = checkin.model_copy(update={'outcome': outcome, 'reasons': reasons, 'similarity': similarity})
    if outcome is Outcome.ACCEPTED:
        decided = _punch(mobile, decided)
    deps.store.commit([Replace(_checkin_record(decided))], None)
    return outcome.value


def history(mobile: Mobile, caller: DeviceCaller, month: str | None, days: list[dict[str, Any]]) -> dict[str, Any]:
    deps = mobile.deps
    month = month or month_of(deps.clock().date())
    found = all_by_lookup(deps.store, f'checkins#{caller.employee.employee_id}', f'{month}-')
    items = [public_checkin(load(Checkin, r)) for r in found]
    items.sort(key=lambda item: item['at'], reverse=True)
    return {'month': month, 'items': items, 'days': days}


def local_today(mobile: Mobile, caller: DeviceCaller) -> date:
    """Today where the employee works: a WITA office's day starts an hour before a WIB one."""
    opd_record = mobile.deps.store.get(KIND_OPD, caller.employee.opd_id)
    zone = load(Opd, opd_record).zone if opd_record else 'Asia/Jakarta'
    return mobile.deps.clock().astimezone(ZoneInfo(zone)).date()


def parse_month(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        datetime.strptime(raw, '%Y-%m')
    except ValueError:
        raise ValidationFailed('month must be YYYY-MM', code='bad_month') from None
    return raw


def month_dates(month: str, until: date) -> list[date]:
    first = datetime.strptime(month, '%Y-%m').replace(tzinfo=UTC).date()
    out, day = [], first
    while day.month == first.month and day <= until:
        out.append(day)
        day += timedelta(days=1)
    return out


# ---- review queue and alerts -----------------------------------------------------------------------------------


def list_reviews(
    mobile: Mobile, principal: Principal, opd_id: str | None, state: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    if state not in {o.value for o in Outcome}:
        raise ValidationFailed(f'state must be one of {", ".join(o.value for o in Outcome)}', code='bad_state')
    scope = scope_opd(principal, Permission.CHECKIN_READ, opd_id)
    prefix = f'{state}#{scope}#' if scope else f'{state}#'
    page = mobile.deps.store.list(KIND_CHECKIN, prefix, limit=limit, cursor=cursor)
    checkins = [load(Checkin, record) for record in page.items]
    people = _people(mobile.deps, {c.employee_id for c in checkins})
    faces = _face_keys(mobile.deps, {c.employee_id for c in checkins})
    kept = mobile.deps.store.get_many(liveness.KIND_LIVENESS, sorted({c.checkin_id for c in checkins}))
    items = []
    for checkin in checkins:
        employee = people.get(checkin.employee_id)
        items.append({
            **dump(checkin), 'selfie_url': _link(mobile, checkin.selfie_key),
            'reference_url': _link(mobile, faces.get(checkin.employee_id)),
            'employee': _person(employee) if employee else None,
            'liveness': _liveness_view(mobile, kept.get(checkin.checkin_id)),
        })  # fmt: skip
    return items, page.next_cursor


def _liveness_view(mobile: Mobile, kept: Record | None) -> dict[str, Any] | None:
    """What liveness kept for a check-in, for the reviewer: the asked direction, the measures, whether it passed,
    and a short-lived link to the turned frame; None for a check-in sent without liveness."""
    if kept is None:
        return None
    data = kept.data
    return {'direction': data.get('direction'), 'passed': data.get('passed'), 'measures': data.get('measures'),
            'turned_url': _link(mobile, data.get('turned_key'))}  # fmt: skip


def _link(mobile: Mobile, key: str | None) -> str | None:
    """A short-lived GET link to a photo of the media bucket (settings ``selfie_link_seconds``)."""
    return mobile.media.download_url(key, mobile.settings.selfie_link_seconds) if key else None


def _people(deps: Deps, employee_ids: set[str]) -> dict[str, Employee]:
    return {r.id: load(Employee, r) for r in deps.store.get_many(KIND_EMPLOYEE, sorted(employee_ids)).values()}


def _person(employee: Employee) -> dict[str, Any]:
    return {'employee_id': employee.employee_id, 'nip': employee.nip, 'name': employee.name, 'opd_id': employee.opd_id}


def _face_keys(deps: Deps, employee_ids: set[str]) -> dict[str, str]:
    """The enrolled reference photo of each employee that has one, in one batch read."""
    found = deps.store.get_many(KIND_ENROLMENT, sorted(employee_ids))
    return {employee_id: r.data['face_key'] for employee_id, r in found.items() if r.data.get('face_key')}


def recent_checkins(mobile: Mobile, principal: Principal, employee_id: str, limit: int) -> list[dict[str, Any]]:
    """An employee's latest check-ins of any outcome, newest first, from this month and the two before (what a
    reviewer compares a flagged check-in with)."""
    deps = mobile.deps
    employee = _employee_in_scope(deps, principal, employee_id, Permission.CHECKIN_READ)
    opd = load(Opd, require(deps.store, KIND_OPD, employee.opd_id))
    month = deps.clock().astimezone(ZoneInfo(opd.zone)).date().replace(day=1)
    found: list[Checkin] = []
    for _ in range(RECENT_CHECKIN_MONTHS):
        mine = [load(Checkin, r) for r in all_by_lookup(deps.store, f'checkins#{employee_id}', f'{month:%Y-%m}-')]
        found += sorted(mine, key=lambda c: c.at_utc, reverse=True)
        if len(found) >= limit:
            break
        month = (month - timedelta(days=1)).replace(day=1)
    return [
        {**public_checkin(c), 'accuracy_m': c.accuracy_m, 'selfie_url': _link(mobile, c.selfie_key),
         'reviewed_by': c.reviewed_by, 'review_reason': c.review_reason}
        for c in found[:limit]
    ]  # fmt: skip


def enrolment_state(mobile: Mobile, principal: Principal, employee_id: str) -> dict[str, Any]:
    """The employee's phone and face as the console's employee page shows them."""
    deps = mobile.deps
    _employee_in_scope(deps, principal, employee_id, Permission.CHECKIN_READ)
    enrolment, _ = _enrolment(deps, employee_id)
    device_record = deps.store.get(KIND_DEVICE, enrolment.device_id) if enrolment.device_id else None
    device = load(Device, device_record) if device_record else None
    code_record = deps.store.get(KIND_ACTIVATION, employee_id)
    code = load(ActivationCode, code_record) if code_record else None
    now = deps.clock()
    return {
        'employee_id': employee_id,
        'device': {'device_id': device.device_id, 'name': device.name, 'activated_at': device.activated_at.isoformat()}
        if device else None,
        'face_enrolled': enrolment.face_id is not None,
        'face_enrolled_at': enrolment.face_enrolled_at.isoformat() if enrolment.face_enrolled_at else None,
        'reference_url': _link(mobile, enrolment.face_key),
        'activation_code_pending': bool(code and code.used_at is None and code.expires_at > now and not device),
        'activation_code_expires_at': code.expires_at.isoformat() if code and code.used_at is None else None,
    }  # fmt: skip


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra='forbid')

    decision: Literal['approve', 'reject']
    reason: FreeText = Field(min_length=5, max_length=300)
    manipulation: bool = False


def review_checkin(mobile: Mobile, principal: Principal, checkin_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    deps = mobile.deps
    decision = build(ReviewBody, body)
    stored = require(deps.store, KIND_CHECKIN, checkin_id)
    checkin = load(Checkin, stored)
    authorize(principal, Permission.CHECKIN_WRITE, checkin.opd_id)
    if checkin.outcome is not Outcome.REVIEW:
        raise Conflict(
            f'check-in {checkin_id} is {checkin.outcome.value}, not waiting for review', code='not_in_review'
        )
    if decision.manipulation and decision.decision != 'reject':
        raise ValidationFailed('a manipulation can only be confirmed by rejecting the check-in', code='bad_review')
    now = deps.clock()
    decided = checkin.model_copy(update={
        'outcome': Outcome.ACCEPTED if decision.decision == 'approve' else Outcome.REJECTED,
        'reviewed_by': principal.key_id, 'review_reason': decision.reason, 'reviewed_at': now,
    })  # fmt: skip
    writes: list[Write] = [Replace(_checkin_record(decided))]
    if decision.manipulation:
        month = month_of(checkin.local_date)
        manipulation = Manipulation(
            employee_id=checkin.employee_id, month=month, checkin_id=checkin_id, confirmed_by=principal.key_id,
            reason=decision.reason, at=now,
        )  # fmt: skip
        if not manipulation_confirmed(deps, checkin.employee_id, month):
            writes.append(Create(
                Record(KIND_MANIPULATION, _manipulation_id(checkin.employee_id, month), dump(manipulation),
                       list_key=f'{month}#{checkin.opd_id}#{checkin.employee_id}'),
                'a manipulation was confirmed meanwhile',
            ))  # fmt: skip
        alert = Alert(
            alert_id=deps.new_id('alr'), kind='manipulation', employee_id=checkin.employee_id, opd_id=checkin.opd_id,
            at=now, checkin_id=checkin_id,
            message=f'manipulation confirmed for {month}: attendance part of the TPP is 0 ({decision.reason})',
        )  # fmt: skip
        writes.append(Create(_alert_record(alert), 'alert id collision'))
    deps.store.commit(
        writes,
        AuditDraft(principal.key_id, f'checkin.{decision.decision}', f'checkin/{checkin_id}', checkin.opd_id,
                   {'outcome': checkin.outcome.value},
                   {'outcome': decided.outcome.value, 'reason': decision.reason,
                    'manipulation': decision.manipulation}),
    )  # fmt: skip
    if decided.outcome is Outcome.ACCEPTED:
        punched = _punch(mobile, decided)
        deps.store.set_field(KIND_CHECKIN, checkin_id, 'punch_id', punched.punch_id)
        decided = punched
    return dump(decided)


def list_alerts(
    mobile: Mobile, principal: Principal, opd_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    scope = scope_opd(principal, Permission.CHECKIN_READ, opd_id)
    page = mobile.deps.store.list(KIND_ALERT, f'{scope}#' if scope else '', limit=limit, cursor=cursor)
    alerts = [load(Alert, r) for r in page.items]
    photos = _alert_photos(mobile, alerts)
    return [_alert_view(mobile, a, photos) for a in alerts], page.next_cursor


def _alert_photos(mobile: Mobile, alerts: list[Alert]) -> dict[str, str]:
    """The photo keys the alerts show, in two batch reads: enrolled faces by employee id, and the selfies of
    the check-ins rejected as manipulation by check-in id."""
    ids = {a.employee_id for a in alerts} | {a.other_employee_id for a in alerts if a.other_employee_id}
    checkin_ids = sorted({a.checkin_id for a in alerts if a.kind == 'manipulation' and a.checkin_id})
    selfies = {r.id: str(r.data['selfie_key']) for r in mobile.deps.store.get_many(KIND_CHECKIN, checkin_ids).values()}
    return {**_face_keys(mobile.deps, ids), **selfies}


def _alert_view(mobile: Mobile, alert: Alert, photos: dict[str, str]) -> dict[str, Any]:
    """An alert with both photos: the blocked enrolment photo and the other employee's enrolled face, or the
    rejected check-in's selfie and the employee's enrolled face."""
    photo, other = alert.photo_key, photos.get(alert.other_employee_id or '')
    if alert.kind == 'manipulation':
        photo, other = photos.get(alert.checkin_id or ''), photos.get(alert.employee_id)
    return {**dump(alert), 'photo_url': _link(mobile, photo), 'other_photo_url': _link(mobile, other)}


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    decision: Literal['different_people']
    reason: str = Field(min_length=5, max_length=300)


def _clearance_id(first: str, second: str) -> str:
    return '#'.join(sorted((first, second)))


def _cleared(deps: Deps, employee_id: str, other: str) -> bool:
    return deps.store.get(KIND_FACE_CLEARANCE, _clearance_id(employee_id, other)) is not None


def resolve_alert(mobile: Mobile, principal: Principal, alert_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A super admin judges a duplicate-face alert: the two employees are different people (twins, a look-alike).
    The alert keeps the decision, and from then on neither face blocks the other's enrolment. Audited."""
    deps = mobile.deps
    decision = build(ResolveBody, body)
    stored = require(deps.store, KIND_ALERT, alert_id)
    alert = load(Alert, stored)
    authorize(principal, Permission.CHECKIN_WRITE, alert.opd_id)
    if alert.kind not in ('duplicate_face', 'possible_duplicate_face') or alert.other_employee_id is None:
        raise ValidationFailed(f'alert {alert_id} is a {alert.kind} alert; only duplicate faces can be resolved',
                               code='not_resolvable')  # fmt: skip
    if alert.resolution is not None:
        raise Conflict(f'alert {alert_id} was already resolved by {alert.resolved_by}', code='already_resolved')
    now = deps.clock()
    resolved = alert.model_copy(update={
        'resolution': decision.decision, 'resolved_by': principal.key_id, 'resolved_at': now,
        'resolution_reason': decision.reason,
    })  # fmt: skip
    pair = _clearance_id(alert.employee_id, alert.other_employee_id)
    clearance = {'employees': pair.split('#'), 'alert_id': alert_id, 'decided_by': principal.key_id,
                 'decided_at': now.isoformat(), 'reason': decision.reason}  # fmt: skip
    record = replace(_alert_record(resolved), version=stored.version)
    deps.store.commit(
        [Replace(record, 'the alert changed meanwhile; reload it'),
         Create(Record(KIND_FACE_CLEARANCE, pair, clearance), 'these two employees were already judged different')],
        AuditDraft(principal.key_id, 'alert.resolve', f'alert/{alert_id}', alert.opd_id,
                   {'resolution': None}, {'resolution': decision.decision, 'reason': decision.reason,
                                          'employees': pair.split('#')}),
    )  # fmt: skip
    return _alert_view(mobile, resolved, _alert_photos(mobile, [resolved]))


def requeue_stale_pending(mobile: Mobile, older_than: timedelta) -> dict[str, int]:
    """The safety net under the queue: a pending check-in whose message was lost (a local restart, a message
    dropped to the dead-letter queue) is queued again, so no punch waits forever."""
    deps = mobile.deps
    cutoff = deps.clock() - older_than
    requeued = 0
    cursor = None
    while True:
        page = deps.store.list(KIND_CHECKIN, f'{Outcome.PENDING.value}#', limit=500, cursor=cursor)
        for record in page.items:
            if load(Checkin, record).at_utc <= cutoff:
                mobile.queue.send({'checkin_id': record.id})
                requeued += 1
        if page.next_cursor is None:
            return {'requeued': requeued}
        cursor = page.next_cursor
