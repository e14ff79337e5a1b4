"""Mobile check-in: the records it keeps, the geofence, and the one decision each attempt gets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from chalicelib.domain.faces import Problem
from chalicelib.domain.models import CircleLocation, Frozen, OfficeLocation, PolygonLocation, Zone
from chalicelib.domain.text import PlainName

EARTH_RADIUS_M = 6_371_008.8


class Outcome(StrEnum):
    ACCEPTED = 'accepted'
    REFUSED = 'refused'
    REVIEW = 'review'
    PENDING = 'pending'  # the face engine was busy: verified from the queue later
    REJECTED = 'rejected'  # refused by an admin after review


CheckinKind = Literal['in', 'out']


class ActivationCode(Frozen):
    employee_id: str
    code_hash: str
    issued_at: datetime
    expires_at: datetime
    issued_by: str
    used_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None
    version: int = 0


class Fix(Frozen):
    lat: float
    lon: float
    at: datetime


class Device(Frozen):
    device_id: str
    employee_id: str
    name: PlainName = Field(max_length=120)
    public_key: dict[str, str]
    activated_at: datetime
    revoked_at: datetime | None = None
    version: int = 0


class Enrolment(Frozen):
    """One per employee: the active device and, once the reference selfie passed, the face."""

    employee_id: str
    device_id: str | None = None
    face_id: str | None = None
    face_key: str | None = None  # the reference photo in the media bucket (home region)
    face_enrolled_at: datetime | None = None
    last_fix: Fix | None = None
    version: int = 0


class Reason(Frozen):
    code: str
    message: str  # Bahasa Indonesia: shown to the employee as is


def reason(code: str, message: str) -> Reason:
    return Reason(code=code, message=message)


class Checkin(Frozen):
    checkin_id: str
    employee_id: str
    opd_id: str
    device_id: str
    kind: CheckinKind
    at_utc: datetime
    local_date: date
    local_time: str
    zone: Zone
    outcome: Outcome
    reasons: tuple[Reason, ...] = ()
    lat: float
    lon: float
    accuracy_m: float
    distance_m: int | None = None
    office: str | None = None
    similarity: float | None = None
    selfie_key: str
    selfie_sha256: str
    client_time: str | None = None
    selfie_seen_before: bool = False
    speed_kmh: float | None = None
    quality_passed: bool = False  # the selfie passed the gate before the engine got busy: the queue only compares
    punch_id: str | None = None
    reviewed_by: str | None = None
    review_reason: str | None = None
    reviewed_at: datetime | None = None
    version: int = 0


class Alert(Frozen):
    alert_id: str
    # possible_duplicate_face: a match in the band below the blocking threshold, raised without blocking (review)
    kind: Literal['duplicate_face', 'possible_duplicate_face', 'manipulation']
    employee_id: str
    opd_id: str
    at: datetime
    message: str
    other_employee_id: str | None = None
    similarity: float | None = None
    checkin_id: str | None = None
    photo_key: str | None = None  # duplicate_face: the blocked enrolment photo, kept for the reviewer
    resolution: Literal['different_people'] | None = None  # a super admin's decision (audited)
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolution_reason: str | None = None
    version: int = 0


class Manipulation(Frozen):
    """Confirmed by review: the allowance sets the month's attendance part to 0 (the Sumut rule)."""

    employee_id: str
    month: str  # YYYY-MM
    checkin_id: str
    confirmed_by: str
    reason: str
    at: datetime
    version: int = 0


@dataclass(frozen=True)
class CheckinPolicy:
    match_threshold: float = 95.0
    review_threshold: float = 80.0  # similarity in [review, match) goes to an admin
    max_accuracy_m: float = 100.0  # above: refused, ask for a better fix
    review_accuracy_m: float = 50.0  # above: accepted only after review
    max_speed_kmh: float = 150.0
    min_travel_m: float = 1000.0  # GPS jitter between close fixes is no travel


@dataclass(frozen=True)
class Evidence:
    distance_m: float | None  # to the nearest office; 0 inside one; None when the OPD has no office location
    office: str | None
    accuracy_m: float
    quality: tuple[Problem, ...] = ()
    similarity: float | None = None
    face_checked: bool = False  # False while the engine was busy
    quality_passed: bool = False  # the quality gate ran and passed (only the comparison may be missing)
    selfie_seen_before: bool = False
    speed_kmh: float | None = None


def location_refusal(
    distance_m: float | None, office: str | None, accuracy_m: float, policy: CheckinPolicy
) -> Reason | None:
    """Why the position alone refuses the attempt (then no face is compared at all), or None."""
    if accuracy_m > policy.max_accuracy_m:
        return reason(
            'poor_accuracy',
            f'Akurasi lokasi {accuracy_m:.0f} m terlalu rendah (batas {policy.max_accuracy_m:.0f} m). '
            'Aktifkan GPS dan tunggu sebentar.',
        )
    if distance_m is None:
        return reason('no_office', 'Lokasi kantor OPD Anda belum diatur. Hubungi admin OPD.')
    if distance_m > accuracy_m:
        return reason('outside_geofence', f'Anda berada {distance_m:.0f} m dari kantor terdekat ({office}).')
    return None


def decide(evidence: Evidence, policy: CheckinPolicy) -> tuple[Outcome, tuple[Reason, ...]]:
    """Refusals first (nothing is punched), then pending (the face is not yet compared), then review signals."""
    refusal = location_refusal(evidence.distance_m, evidence.office, evidence.accuracy_m, policy)
    if refusal is not None or evidence.distance_m is None:
        return Outcome.REFUSED, (refusal,) if refusal else ()
    review: list[Reason] = []
    if evidence.distance_m > 0:
        where = f'{evidence.distance_m:.0f} m dari kantor terdekat ({evidence.office})'
        review.append(reason('location_uncertain', f'Lokasi Anda {where}, dalam batas akurasi GPS.'))
    if evidence.quality:
        return Outcome.REFUSED, tuple(reason(p.code, p.message) for p in evidence.quality)
    if evidence.face_checked:
        if evidence.similarity is None:
            unseen = 'Wajah tidak ditemukan pada foto. Hadapkan wajah lurus ke kamera di tempat terang, lalu coba lagi.'
            return Outcome.REFUSED, (reason('no_face', unseen),)
        if evidence.similarity < policy.review_threshold:
            return Outcome.REFUSED, (reason('face_mismatch', 'Wajah tidak cocok dengan wajah yang terdaftar.'),)
        if evidence.similarity < policy.match_threshold:
            review.append(reason('borderline_similarity', f'Kemiripan wajah {evidence.similarity:.1f}%.'))
    if evidence.accuracy_m > policy.review_accuracy_m:
        review.append(reason('poor_accuracy', f'Akurasi lokasi {evidence.accuracy_m:.0f} m.'))
    if evidence.selfie_seen_before:
        review.append(reason('reused_selfie', 'Foto ini sama persis dengan foto presensi sebelumnya.'))
    if evidence.speed_kmh is not None and evidence.speed_kmh > policy.max_speed_kmh:
        review.append(
            reason('impossible_travel', f'Perpindahan {evidence.speed_kmh:.0f} km/jam sejak presensi terakhir.')
        )
    if not evidence.face_checked:
        return Outcome.PENDING, (
            reason('face_queued', 'Layanan verifikasi wajah sedang sibuk; presensi Anda dicatat dan menunggu.'),
            *review,
        )
    if review:
        return Outcome.REVIEW, tuple(review)
    return Outcome.ACCEPTED, ()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _metres(origin_lat: float, lat: float, lon: float) -> tuple[float, float]:
    """A local equirectangular projection: exact enough over an office compound."""
    scale = math.radians(1) * EARTH_RADIUS_M
    return lon * scale * math.cos(math.radians(origin_lat)), lat * scale


def _inside(point: tuple[float, float], polygon: Sequence[tuple[float, float]]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _segment_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def distance_to_office(lat: float, lon: float, office: CircleLocation | PolygonLocation) -> float:
    """Metres from the point to the office area; 0 inside it."""
    if isinstance(office, CircleLocation):
        return max(0.0, haversine_m(lat, lon, office.center.lat, office.center.lon) - office.radius_m)
    point = _metres(lat, lat, lon)
    ring = [_metres(lat, v.lat, v.lon) for v in office.vertices]
    if _inside(point, ring):
        return 0.0
    return min(_segment_distance(point, a, b) for a, b in zip(ring, [*ring[1:], ring[0]], strict=True))


def nearest_office(lat: float, lon: float, offices: Sequence[OfficeLocation]) -> tuple[str, float] | None:
    if not offices:
        return None
    return min(((o.name, distance_to_office(lat, lon, o)) for o in offices), key=lambda pair: pair[1])


def travel_speed_kmh(previous: Fix | None, lat: float, lon: float, at: datetime, policy: CheckinPolicy) -> float | None:
    """Speed since the previous fix, when the move is long enough to be more than GPS jitter."""
    if previous is None:
        return None
    metres = haversine_m(previous.lat, previous.lon, lat, lon)
    if metres < policy.min_travel_m:
        return None
    hours = max((at - previous.at).total_seconds(), 1.0) / 3600
    return metres / 1000 / hours


def month_of(day: date) -> str:
    return f'{day:%Y-%m}'


def public_checkin(checkin: Checkin) -> dict[str, Any]:
    """What the employee's app sees of an attempt."""
    return {
        'checkin_id': checkin.checkin_id,
        'kind': checkin.kind,
        'at': checkin.at_utc.isoformat().replace('+00:00', 'Z'),
        'local_date': checkin.local_date.isoformat(),
        'local_time': checkin.local_time,
        'outcome': checkin.outcome.value,
        'reasons': [r.model_dump() for r in checkin.reasons],
        'distance_m': checkin.distance_m,
        'office': checkin.office,
        'similarity': checkin.similarity,
    }
