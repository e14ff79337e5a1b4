"""Liveness at enrolment and at every check-in (the rules are in chalicelib/domain/liveness.py).

A check-in with liveness costs two engine calls and no more: the frontal frame and the turned frame are each
compared once with the enrolled reference, and each comparison also reads the frame's faces (pose, box, quality),
which is what the quality gate and the liveness rules need. Rekognition's CompareFaces returns them, so no
DetectFaces is spent.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.checkin import Evidence, Outcome, Reason
from chalicelib.domain.errors import Conflict, Gone, Unauthenticated, ValidationFailed
from chalicelib.domain.faces import DetectedFace, FaceBox, quality_problems
from chalicelib.domain.liveness import (
    DIRECTIONS,
    INSTRUCTION,
    Challenge,
    FaceComparison,
    FacePrint,
    LivenessPolicy,
    Purpose,
    Verdict,
    challenge_id,
    challenge_problem,
    face_print,
    judge,
    nearest_print,
    reused_reason,
    stored_print,
)
from chalicelib.ports import ClaimTaken, Create, FaceEngineBusy, Reads, Record, Replace, Unit
from chalicelib.services.common import build, dump, load

if TYPE_CHECKING:
    from chalicelib.services.checkins import DeviceCaller, Mobile

KIND_CHALLENGE = 'liveness_challenge'
KIND_LIVENESS = 'liveness'  # per check-in: the challenge, the turned frame and what was measured
KIND_FACE_PRINTS = 'face_prints'  # per employee: the reference's print and the latest selfies'
KIND_SELFIE = 'selfie'  # the hashes of every photo seen (shared with services.checkins)
RECENT_PRINTS = 40  # about a month of check-ins and check-outs
CHALLENGE_KEPT = timedelta(days=1)  # after its window: told 'expired' for a day, then removed by DynamoDB's TTL


class ChallengeBody(BaseModel):
    model_config = ConfigDict(extra='forbid')

    purpose: Purpose = 'checkin'


class LivenessAnswer(BaseModel):
    """What the phone sends with the frontal photo: the challenge it answers and the turned frame."""

    model_config = ConfigDict(extra='forbid')

    challenge_id: str = Field(min_length=4, max_length=100)
    turned_image: str = Field(min_length=8)


@dataclass(frozen=True)
class Live:
    """A claimed challenge and its frames, ready to measure; `measured_frontal` is the frontal frame's comparison
    when it was made before the engine got busy (the queue then spends one call, not two)."""

    challenge: Challenge
    frontal: bytes
    turned: bytes
    measured_frontal: FaceComparison | None = None

    @property
    def frontal_sha(self) -> str:
        return hashlib.sha256(self.frontal).hexdigest()

    @property
    def turned_sha(self) -> str:
        return hashlib.sha256(self.turned).hexdigest()


def policy_of(mobile: Mobile) -> LivenessPolicy:
    s = mobile.settings
    return LivenessPolicy(
        window=timedelta(seconds=s.liveness_window_seconds),
        turn_review_similarity=s.face_review_threshold,
    )


def _challenge_record(challenge: Challenge) -> Record:
    return Record(KIND_CHALLENGE, challenge.challenge_id, dump(challenge), challenge.version,
                  expires_at=challenge.expires_at + CHALLENGE_KEPT)  # fmt: skip


def issue_challenge(mobile: Mobile, caller: DeviceCaller, nonce: str, body: dict[str, Any]) -> dict[str, Any]:
    """A new challenge for this device: a direction drawn at random, valid for the window, usable once."""
    deps = mobile.deps
    try:
        request = build(ChallengeBody, body)
    except ValidationFailed:
        _claim_nonce(mobile, caller)  # refused, and its nonce used all the same
        raise
    now = deps.clock()
    employee = caller.employee
    challenge = Challenge(
        challenge_id=challenge_id(deps.new_id('lvc'), employee.employee_id, employee.opd_id),
        device_id=caller.device.device_id, employee_id=employee.employee_id, purpose=request.purpose,
        direction=DIRECTIONS[deps.random_bytes(1)[0] & 1], nonce=nonce, issued_at=now,
        expires_at=now + policy_of(mobile).window,
    )  # fmt: skip
    # The request's nonce is claimed in the same transaction as the challenge (one write for the request).
    unit = Unit(writes=[Create(_challenge_record(challenge), 'challenge id collision; ask again')],
                claims=[caller.nonce] if caller.nonce else [])  # fmt: skip
    try:
        mobile.requests.commit(unit, now)
    except ClaimTaken:
        raise Unauthenticated('this request was already received once (replayed nonce)',
                              code='replayed_nonce') from None  # fmt: skip
    return {
        'challenge_id': challenge.challenge_id, 'purpose': challenge.purpose, 'direction': challenge.direction,
        'instruction': INSTRUCTION[challenge.direction], 'expires_at': challenge.expires_at.isoformat(),
        'window_seconds': mobile.settings.liveness_window_seconds,
    }  # fmt: skip


def _claim_nonce(mobile: Mobile, caller: DeviceCaller) -> None:
    if caller.nonce is not None:
        try:
            mobile.requests.commit(Unit(claims=[caller.nonce]), mobile.deps.clock())
        except ClaimTaken:
            pass


_UNKNOWN = 'Tantangan gerak kepala tidak dikenal untuk perangkat ini. Ulangi dari awal.'


def claim(mobile: Mobile, caller: DeviceCaller, answer: LivenessAnswer, purpose: Purpose, used_by: str) -> Challenge:
    """Consume the challenge: once, by the device it was issued to, for its purpose, within its window. The write
    is conditional on the version read, so two requests racing with one challenge cannot both pass."""
    consumed, write = consume(
        mobile, caller, answer, purpose, used_by, mobile.deps.store.get(KIND_CHALLENGE, answer.challenge_id)
    )
    try:
        mobile.deps.store.commit([write], None)
    except Conflict:
        raise used_challenge() from None
    return consumed


def used_challenge() -> Conflict:
    return Conflict('Tantangan gerak kepala ini sudah dipakai. Ulangi dari awal dengan tantangan baru.',
                    code='challenge_used')  # fmt: skip


def consume(
    mobile: Mobile, caller: DeviceCaller, answer: LivenessAnswer, purpose: Purpose, used_by: str, stored: Record | None
) -> tuple[Challenge, Replace]:
    """The challenge as the answer consumes it, and the write that does it (conditional on the version read, so
    two requests racing with one challenge cannot both pass): for the caller's own transaction."""
    deps = mobile.deps
    if stored is None:
        raise Conflict(_UNKNOWN, code='challenge_unknown')
    challenge = load(Challenge, stored)
    now = deps.clock()
    problem = challenge_problem(challenge, caller.device.device_id, purpose, now)
    if problem in ('other_device', 'wrong_purpose'):
        raise Conflict(_UNKNOWN, code='challenge_unknown')
    if problem == 'used':
        raise used_challenge()
    if problem == 'expired':
        window = mobile.settings.liveness_window_seconds
        raise Gone(f'Waktu gerakan kepala habis (lebih dari {window} detik). Ulangi dari awal.',
                   code='challenge_expired')  # fmt: skip
    consumed = challenge.model_copy(update={'used_at': now, 'used_by': used_by})
    return consumed, Replace(_challenge_record(consumed), 'the challenge was used meanwhile')


# ---- enrolment -------------------------------------------------------------------------------------------------


def check_enrolment(mobile: Mobile, live: Live, frontal: DetectedFace) -> None:
    """The reference photo's liveness: the turned frame compared with the frontal one (same person, turned as
    asked). Raises ValidationFailed `liveness_failed` with the problems in Bahasa Indonesia."""
    if live.frontal_sha == live.turned_sha:
        turned = FaceComparison(similarity=None, faces=())
    else:
        turned = _compare(mobile, live.frontal, live.turned)
    verdict = judge(live.challenge.direction, frontal, turned, same_bytes=live.frontal_sha == live.turned_sha,
                    policy=policy_of(mobile))  # fmt: skip
    if not verdict.passed:
        raise ValidationFailed(
            'Langkah gerak kepala belum berhasil.', code='liveness_failed',
            details={'problems': [{'code': r.code, 'message': r.message} for r in verdict.refusals],
                     'measures': verdict.measures},
        )  # fmt: skip


def remember_reference(mobile: Mobile, employee_id: str, image: bytes, frontal: DetectedFace | None) -> None:
    """The reference photo is 'seen': its hash and its print, so a check-in that sends it again is flagged."""
    reference = face_print(frontal)
    mobile.deps.store.put_many([
        Record(KIND_SELFIE, hashlib.sha256(image).hexdigest(), {'employee_id': employee_id, 'reference': True}),
        Record(KIND_FACE_PRINTS, employee_id, {'reference': reference.as_text() if reference else None, 'recent': []}),
    ])  # fmt: skip


# ---- check-in --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    evidence: Evidence
    verdict: Verdict | None = None  # None: not measured (refused before, or the engine was busy)
    frontal_print: FacePrint | None = None
    frontal: FaceComparison | None = None  # kept for the queue when the engine got busy after the first call


def measure_checkin(mobile: Mobile, evidence: Evidence, reference: bytes, live: Live) -> Measured:
    """Two comparisons with the reference (frontal, then turned) and the liveness verdict. The frontal frame's
    faces go through the quality gate; a refused gate spends no second call. A busy engine leaves it pending."""
    frontal = live.measured_frontal
    try:
        frontal = frontal or _compare(mobile, reference, live.frontal)
        problems = quality_problems(frontal.faces, mobile.gate)
        if problems:
            return Measured(replace(evidence, quality=tuple(problems), face_checked=True))
        same = live.frontal_sha == live.turned_sha
        turned = frontal if same else _compare(mobile, reference, live.turned)
    except FaceEngineBusy:
        return Measured(replace(evidence, face_checked=False), frontal=frontal)
    verdict = judge(live.challenge.direction, frontal.face, turned, same_bytes=same, policy=policy_of(mobile))
    checked = replace(evidence, similarity=frontal.similarity, face_checked=True, quality_passed=True)
    return Measured(checked, verdict, face_print(frontal.face))


def _compare(mobile: Mobile, reference: bytes, probe: bytes) -> FaceComparison:
    try:
        return mobile.faces.compare_detail(reference, probe)
    except ValueError as exc:
        raise ValidationFailed(f'the photo cannot be read: {exc}', code='bad_image') from None


def reuse_signals(
    mobile: Mobile,
    employee_id: str,
    live: Live,
    frontal_print: FacePrint | None,
    own_checkin: str | None = None,
    reads: Reads | None = None,
) -> list[Reason]:
    """A frontal or turned frame seen before byte for byte, or a frontal frame at near-zero print distance from
    the reference or a recent selfie: review signals. `own_checkin`: a queued check-in's own frames do not count.
    `reads`: the check-in's batch read, which holds both frames' hashes and the employee's prints."""
    store = mobile.deps.store
    shas = sorted({live.frontal_sha, live.turned_sha})
    if reads is None:
        seen = store.get_many(KIND_SELFIE, shas)
        prints = store.get(KIND_FACE_PRINTS, employee_id)
    else:
        seen = {sha: found for sha in shas if (found := reads.get(KIND_SELFIE, sha)) is not None}
        prints = reads.get(KIND_FACE_PRINTS, employee_id)
    for sha in (live.frontal_sha, live.turned_sha):
        if sha in seen and (own_checkin is None or seen[sha].data.get('checkin_id') != own_checkin):
            return [reused_reason('bytes', bool(seen[sha].data.get('reference')))]
    if prints is None or frontal_print is None:
        return []
    reference = [stored_print(prints.data['reference'])] if prints.data.get('reference') else []
    limit = policy_of(mobile).reused_print_distance
    near_reference = nearest_print(frontal_print, reference)
    if near_reference is not None and near_reference < limit:
        return [reused_reason('print', True)]
    near_recent = nearest_print(frontal_print, [stored_print(p) for p in prints.data.get('recent', [])])
    if near_recent is not None and near_recent < limit:
        return [reused_reason('print', False)]
    return []


def combine(
    outcome: Outcome, reasons: tuple[Reason, ...], measured: Measured, signals: list[Reason]
) -> tuple[Outcome, tuple[Reason, ...]]:
    """The check-in decision with liveness: a failed liveness refuses; reuse and a borderline turn send an
    otherwise accepted check-in to review. The check-in's own 'reused_selfie' reason gives way to ours, which
    says what was reused."""
    reasons = tuple(r for r in reasons if r.code != 'reused_selfie' or not signals)
    verdict = measured.verdict
    if verdict is None:
        return outcome, (*reasons, *signals)  # refused before liveness was measured, or pending
    if verdict.refusals:
        kept = reasons if outcome is Outcome.REFUSED else ()
        return Outcome.REFUSED, (*verdict.refusals, *kept, *signals)
    flags = (*verdict.review, *signals)
    if outcome is Outcome.ACCEPTED and flags:
        return Outcome.REVIEW, flags
    return outcome, (*reasons, *flags)


def keep(
    mobile: Mobile,
    checkin_id: str,
    employee_id: str,
    local_date: date,
    live: Live,
    measured: Measured,
    reads: Reads,
) -> list[Record]:
    """Store the turned frame beside the selfie; the records to write with the check-in: what liveness measured
    (with the consumed challenge, which the queue reads after TTL removed the challenge itself), the turned
    frame's hash if it is new (the first sighting of a photo is the one remembered; the frontal frame's hash is
    the check-in's), and the frontal print among the employee's recent ones."""
    turned_key = f'selfies/{local_date.isoformat()}/{checkin_id}-turned.jpg'
    mobile.media.put_new(turned_key, live.turned, 'image/jpeg')
    verdict = measured.verdict
    records = [
        Record(KIND_LIVENESS, checkin_id, {
            'challenge_id': live.challenge.challenge_id, 'direction': live.challenge.direction,
            'challenge': dump(live.challenge), 'turned_key': turned_key, 'turned_sha256': live.turned_sha,
            'measures': verdict.measures if verdict else None, 'passed': verdict.passed if verdict else None,
            'frontal': _comparison_data(measured.frontal) if measured.frontal and not verdict else None,
        }),
    ]  # fmt: skip
    if live.turned_sha != live.frontal_sha and reads.get(KIND_SELFIE, live.turned_sha) is None:
        turned = {'checkin_id': checkin_id, 'employee_id': employee_id, 'turned': True}
        records.append(Record(KIND_SELFIE, live.turned_sha, turned))
    if measured.frontal_print is not None:
        stored = reads.get(KIND_FACE_PRINTS, employee_id)
        data = stored.data if stored else {'reference': None, 'recent': []}
        recent = [*data.get('recent', []), measured.frontal_print.as_text()][-RECENT_PRINTS:]
        records.append(Record(KIND_FACE_PRINTS, employee_id, {**data, 'recent': recent}))
    return records


def stored_live(mobile: Mobile, checkin_id: str, frontal: bytes) -> Live | None:
    """A pending check-in's liveness, for the queue that verifies it later; None if it was sent without."""
    store = mobile.deps.store
    kept = store.get(KIND_LIVENESS, checkin_id)
    if kept is None:
        return None
    if kept.data.get('challenge'):
        challenge = Challenge.model_validate(kept.data['challenge'])
    else:  # kept before the challenge was copied into it
        stored = store.get(KIND_CHALLENGE, kept.data['challenge_id'])
        if stored is None:
            return None
        challenge = load(Challenge, stored)
    measured = _comparison(kept.data['frontal']) if kept.data.get('frontal') else None
    return Live(challenge, frontal, mobile.media.get(kept.data['turned_key']), measured)


def _comparison_data(comparison: FaceComparison) -> dict[str, Any]:
    return {'similarity': comparison.similarity, 'faces': [asdict(face) for face in comparison.faces]}


def _comparison(data: dict[str, Any]) -> FaceComparison:
    faces = tuple(DetectedFace(**{**face, 'box': FaceBox(**face['box'])}) for face in data['faces'])
    return FaceComparison(similarity=data['similarity'], faces=faces)


def record_frontal(mobile: Mobile, checkin_id: str, measured: Measured) -> None:
    """The queue was throttled after comparing the frontal frame: keep that comparison for its next try."""
    store = mobile.deps.store
    kept = store.get(KIND_LIVENESS, checkin_id)
    if kept is not None and measured.frontal is not None and not kept.data.get('frontal'):
        data = {**kept.data, 'frontal': _comparison_data(measured.frontal)}
        store.put_many([Record(KIND_LIVENESS, checkin_id, data)])


def record_measures(mobile: Mobile, checkin_id: str, measured: Measured) -> None:
    """After the queue measured a pending check-in: its liveness measures, for the reviewer."""
    verdict = measured.verdict
    if verdict is None:
        return
    store = mobile.deps.store
    kept = store.get(KIND_LIVENESS, checkin_id)
    if kept is not None:
        store.put_many([Record(KIND_LIVENESS, checkin_id, {**kept.data, 'measures': verdict.measures,
                                                            'passed': verdict.passed})])  # fmt: skip
