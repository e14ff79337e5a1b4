"""A demo with a past: the previous month and the current month up to yesterday, as they would have happened.

A newcomer's first look at Hadir should show what it is for: a recap with codes, a finance file with real
amounts, a machine with a problem to find. So the first start writes, after the directory seed, a history that
goes through the same paths as real life:

- machine punches as the bridges upload them (gzip NDJSON in the uploads bucket), read by the reconcile job;
- phone punches (the ledger's phone records) for the staff without a machine PIN;
- a few late arrivals, early leaves, forgotten check-outs and absences; annual leave, official duty (DL) and
  sick leave recorded by the personnel office; one machine silent for two working days, with its outage
  proposed and confirmed and its signed paper list entered and approved; performance scores of the previous month;
- one phone check-in flagged for review (the face engine was not sure: similarity below the match threshold), with
  a drawn selfie beside a drawn enrolled face (hadir_local/demo_photos.py), waiting in the review queue;
- the days closed zone by zone as the hourly runs would have, the previous month closed and its finance
  files exported.

Everything is drawn from a seeded random generator keyed by the employee's NIP (or NIK, or name) and the date,
so the same plan and the same "today" give the same history in the demo and in the tests.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.domain.checkin import Checkin, Enrolment, Evidence, Outcome, decide, nearest_office
from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import (
    CircleLocation,
    Employee,
    EmployeeType,
    Machine,
    Opd,
    PinMapping,
    Principal,
    Punch,
    PunchSource,
    Role,
)
from chalicelib.domain.punch_keys import machine_punch_id, phone_punch_id
from chalicelib.domain.tpp.records import month_bounds, month_of
from chalicelib.domain.tpp.schedule import Shift, expected_shift
from chalicelib.domain.upload_keys import upload_key
from chalicelib.ports import AuditDraft, Create, Record
from chalicelib.services import (
    allowance,
    checkins,
    ingest,
    machine_summary,
    manual_lists,
    nightly,
    outages,
    schedules,
    scores,
    statuses,
)
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_MACHINE,
    KIND_OPD,
    KIND_PINMAP,
    Deps,
    all_records,
    load,
    load_pinmap,
)
from chalicelib.settings import get_settings
from chalicelib.wiring import get_books, get_mobile, get_uploads
from hadir_local.demo_photos import portrait
from hadir_local.seed import ZONE as DEMO_ZONE

HISTORY_SEED = 2026
KIND_DEMO_HISTORY = 'demo_history'  # one record, written when the history is complete
# How often something other than an ordinary day happens, per owed day.
ABSENT = 0.012
LATE = 0.06
EARLY_LEAVE = 0.03
NO_CHECK_OUT = 0.012
LEAVE_TAKERS, DUTY_TRAVELLERS, SICK = 6, 4, 3


@dataclass(frozen=True)
class OwedDay:
    employee: Employee
    shift: Shift


@dataclass(frozen=True)
class Scan:
    employee_id: str
    at: datetime  # local wall-clock time
    check_in: bool


@dataclass(frozen=True)
class StatusPlan:
    employee_id: str
    code: str
    first: date
    last: date
    reference: str


@dataclass
class History:
    first: date
    last: date
    scans: list[Scan]
    statuses: list[StatusPlan]
    silent_machine: str | None
    silent_days: tuple[date, ...]
    manual: dict[date, list[Scan]]  # the silent machine's staff who came, on the OPD's signed paper list


def _person_key(employee: Employee) -> str:
    return employee.nip or employee.nik or employee.name


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256('|'.join(map(str, (HISTORY_SEED, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], 'big'))


def history_window(today: date) -> tuple[date, date]:
    """From the first day of last month to yesterday."""
    first, _ = month_bounds(month_of(today.replace(day=1) - timedelta(days=1)))
    return first, today - timedelta(days=1)


def plan_history(owed: Sequence[OwedDay], machine_staff: dict[str, list[str]], first: date, last: date) -> History:
    """What happened on each owed day (pure): statuses first, a silent machine, then each day's scans."""
    people = sorted({o.employee.employee_id: o.employee for o in owed}.values(), key=_person_key)
    asn = [e for e in people if e.employee_type is not EmployeeType.TKK]
    month_end = min(last, month_bounds(month_of(first))[1])
    work_days = sorted({o.shift.local_date for o in owed if o.shift.local_date <= month_end})
    plans: list[StatusPlan] = []
    chooser = _rng('statuses', first)
    chosen = chooser.sample(asn, min(len(asn), LEAVE_TAKERS + DUTY_TRAVELLERS + SICK))
    for index, employee in enumerate(chosen):
        code, length, reference = (
            ('CT', 3, f'851/{100 + index}/BKPSDM/{first.year}') if index < LEAVE_TAKERS
            else ('DL', 2, f'094/{200 + index}/ST/{first.year}') if index < LEAVE_TAKERS + DUTY_TRAVELLERS
            else ('S', 2, f'SKD/{300 + index}/{first.year}')
        )  # fmt: skip
        if len(work_days) > length:
            start = chooser.randrange(0, len(work_days) - length)
            plans.append(StatusPlan(employee.employee_id, code, work_days[start], work_days[start + length - 1],
                                    reference))  # fmt: skip
    covered = {(p.employee_id, p.first + timedelta(days=n)) for p in plans for n in range((p.last - p.first).days + 1)}
    silent_machine, silent_days = _silent_machine(machine_staff, work_days)
    silenced = {(e, d) for e in machine_staff.get(silent_machine or '', []) for d in silent_days}
    scans: list[Scan] = []
    manual: dict[date, list[Scan]] = defaultdict(list)
    for day in owed:
        key = (day.employee.employee_id, day.shift.local_date)
        if key in covered:
            continue
        (manual[day.shift.local_date] if key in silenced else scans).extend(_day_scans(day))
    return History(first, last, scans, plans, silent_machine, silent_days, dict(manual))


def _silent_machine(machine_staff: dict[str, list[str]], work_days: list[date]) -> tuple[str | None, tuple[date, ...]]:
    """The machine with the most staff is down on two working days of the second week of the first month."""
    if not machine_staff or len(work_days) < 12:
        return None, ()
    serial = max(sorted(machine_staff), key=lambda s: len(machine_staff[s]))
    second_week = [d for d in work_days if d.day >= 8]
    return serial, tuple(second_week[1:3])


def _day_scans(day: OwedDay) -> list[Scan]:
    shift, employee_id = day.shift, day.employee.employee_id
    rng = _rng(_person_key(day.employee), shift.local_date)
    roll = rng.random()
    if roll < ABSENT:
        return []
    if roll < ABSENT + LATE:
        arrive = shift.start + timedelta(minutes=rng.choice((rng.randint(1, 30), rng.randint(1, 30),
                                                             rng.randint(31, 60), rng.randint(61, 95))))  # fmt: skip
    else:
        arrive = shift.start - timedelta(minutes=rng.randint(3, 35), seconds=rng.randint(0, 59))
    scans = [Scan(employee_id, max(arrive, shift.check_in_from), True)]
    roll = rng.random()
    if roll < NO_CHECK_OUT:
        return scans
    if roll < NO_CHECK_OUT + EARLY_LEAVE:
        leave = shift.end - timedelta(minutes=rng.randint(5, 95))
    else:
        leave = shift.end + timedelta(minutes=rng.randint(1, 50), seconds=rng.randint(0, 59))
    return [*scans, Scan(employee_id, min(leave, shift.check_out_until), False)]


# ---- writing it ------------------------------------------------------------------------------------------------


def history_pending(deps: Deps) -> bool:
    return deps.store.get(KIND_DEMO_HISTORY, 'done') is None


def local_today(deps: Deps, zone: str = DEMO_ZONE) -> date:
    return deps.clock().astimezone(ZoneInfo(zone)).date()


def write_history(deps: Deps, admin: Principal, today: date, progress: Callable[[str], None]) -> dict[str, Any]:
    """Write the demo's past up to yesterday and close it (see the module docstring). Returns what was written."""
    first, last = history_window(today)
    employees = [load(Employee, r) for r in all_records(deps.store, KIND_EMPLOYEE)]
    employees = [e for e in employees if e.active]
    opds = {r.id: load(Opd, r) for r in all_records(deps.store, KIND_OPD)}
    machines = {r.id: load(Machine, r) for r in all_records(deps.store, KIND_MACHINE)}
    pins = [load_pinmap(r) for r in all_records(deps.store, KIND_PINMAP)]
    pin_of = {p.employee_id: p for p in sorted(pins, key=lambda p: (p.serial, p.pin))}
    machine_staff: dict[str, list[str]] = defaultdict(list)
    for mapping in pin_of.values():
        machine_staff[mapping.serial].append(mapping.employee_id)

    # Today too, up to now, so the today board has its morning; only the days before today are closed.
    owed = _owed_days(deps, employees, opds, first, today)
    history = plan_history(owed, dict(machine_staff), first, today)
    now = deps.clock()
    local_now = now.astimezone(ZoneInfo(DEMO_ZONE)).replace(tzinfo=None)
    history.scans = [scan for scan in history.scans if scan.at <= local_now]
    progress(f'history {first} to {today}: {len(owed)} owed days, {len(history.scans)} scans')

    books = get_books()
    for plan in history.statuses:
        body = {'code': plan.code, 'first': plan.first.isoformat(), 'last': plan.last.isoformat(),
                'reference': plan.reference}  # fmt: skip
        with suppress(Conflict):  # a history cut short is written again on the next start; what exists stays
            statuses.record_status(deps, books.profiles, admin, plan.employee_id, body)
    by_id = {e.employee_id: e for e in employees}
    uploads = _machine_uploads(history.scans, pin_of, machines, now)
    flagged = flagged_scan(history.scans, pin_of, by_id, opds)
    phone = _phone_punches([s for s in history.scans if s is not flagged], pin_of, by_id, opds)
    deps.ledger.record(phone)
    if flagged is not None:
        review = _flagged_checkin(deps, by_id[flagged.employee_id], opds[by_id[flagged.employee_id].opd_id], flagged)
        progress(f'a phone check-in of {flagged.at:%Y-%m-%d %H:%M} waits for review ({review})')
    totals = ingest.reconcile(deps, get_uploads(), get_settings(), full=True)
    progress(f'{totals["accepted"]} machine punches from {uploads} uploads, {len(phone)} phone punches')
    _heartbeats(deps, history, pin_of, machines, now)
    summary = machine_summary.summarize_machines(deps, get_settings(), last)
    progress(f'machines reported; the daily count check of {last}: {summary.get("machines", summary)}')

    if history.silent_machine is not None:
        opd_id = machines[history.silent_machine].opd_id
        for day in history.silent_days:
            reason = f'mesin {history.silent_machine} mati sejak pagi (listrik padam di kantor)'
            with suppress(Conflict):
                proposal = outages.propose_outage(deps, admin, {'opd_id': opd_id, 'day': day.isoformat(),
                                                                'reason': reason})  # fmt: skip
                decision = {'decision': 'confirm', 'reason': 'dikonfirmasi BKPSDM: listrik kantor padam'}
                outages.decide_outage(deps, admin, proposal['outage_id'], decision)
                _manual_list(deps, admin, proposal['outage_id'], opd_id, day, history.manual.get(day, []))
    month = month_of(first)
    asn = [e for e in employees if e.employee_type is not EmployeeType.TKK]
    scored = [{'employee_id': e.employee_id, 'score': str(_score(e))} for e in sorted(asn, key=_person_key)]
    if scored:
        scores.set_scores(deps, books.records, admin, month, {'scores': scored}, dry_run=False)

    days = nightly.close_past_days(deps, get_books, first, last)
    progress(f'{days["written"]} day records closed')
    closed = allowance.close_month(deps, get_books(), month)
    exported = allowance.export_month(deps, get_books(), month)
    progress(f'{month} closed (revision {closed.get("revision")}) and its finance files exported')
    deps.store.put_many([Record(KIND_DEMO_HISTORY, 'done', {'first': first.isoformat(), 'last': last.isoformat()})])
    return {'first': first.isoformat(), 'last': last.isoformat(), 'scans': len(history.scans),
            'statuses': len(history.statuses), 'outage_days': len(history.silent_days), 'days': days,
            'month': closed, 'export': exported, 'flagged_checkins': 0 if flagged is None else 1}  # fmt: skip


def _manual_list(deps: Deps, admin: Principal, outage_id: str, opd_id: str, day: date, came: list[Scan]) -> None:
    """The OPD's signed paper list of the outage day, entered by its admin and approved by the personnel office."""
    times: dict[str, dict[str, str]] = defaultdict(dict)
    for scan in came:
        times[scan.employee_id]['arrival' if scan.check_in else 'departure'] = f'{scan.at:%H:%M}'
    if not times:
        return
    body = {'lines': [{'employee_id': e, **t} for e, t in sorted(times.items())],
            'evidence': {'kind': 'signed_list_photo', 'references': [f'daftar-hadir-{opd_id}-{day}.jpg']}}  # fmt: skip
    manual_lists.submit_manual_list(deps, admin, outage_id, body)
    approval = {'decision': 'approve', 'reason': 'daftar hadir bertanda tangan kepala OPD diperiksa'}
    manual_lists.decide_manual_list(deps, admin, outage_id, approval)


def _score(employee: Employee) -> Decimal:
    return Decimal(_rng('score', _person_key(employee)).randint(780, 990)) / 10


def _owed_days(deps: Deps, employees: list[Employee], opds: dict[str, Opd], first: date, last: date) -> list[OwedDay]:
    book = schedules.schedule_book(deps, first, last)
    calendar = allowance.calendar_between(deps, first, last)
    owed: list[OwedDay] = []
    for employee in employees:
        opd = opds[employee.opd_id]
        day = first
        while day <= last:
            resolved = book.for_employee(employee, opd, day)
            shift = expected_shift(resolved.schedule, day, calendar) if resolved.schedule else None
            if shift is not None:
                owed.append(OwedDay(employee, shift))
            day += timedelta(days=1)
    return owed


def _machine_scans(scans: list[Scan], pin_of: dict[str, PinMapping]) -> dict[str, list[Scan]]:
    by_machine: dict[str, list[Scan]] = defaultdict(list)
    for scan in scans:
        if scan.employee_id in pin_of:
            by_machine[pin_of[scan.employee_id].serial].append(scan)
    return by_machine


def _heartbeats(
    deps: Deps, history: History, pin_of: dict[str, PinMapping], machines: dict[str, Machine], now: datetime
) -> None:
    """Each bridge's report of its machines, as sent now: contact, clock, last punch and the last week's counts.

    Two things for the Mesin screen to find: the busiest machine's clock runs 7 minutes fast, and yesterday the
    machine with the fewest staff counted 3 more punches than reached its bridge (a re-read is requested).
    """
    by_machine = _machine_scans(history.scans, pin_of)
    yesterday = history.last - timedelta(days=1) if history.last >= history.first else history.last
    serials = sorted(by_machine, key=lambda s: (len(by_machine[s]), s))
    fast_clock, short_counted = (serials[-1], serials[0]) if serials else (None, None)
    reports_by_bridge: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for serial, machine in sorted(machines.items()):
        scans = sorted(by_machine.get(serial, []), key=lambda s: s.at)
        days: dict[date, int] = defaultdict(int)
        for scan in scans:
            days[scan.at.date()] += 1
        week = [history.last - timedelta(days=n) for n in range(7, 0, -1)] + [history.last]
        counts = [{'date': d.isoformat(), 'punches': days.get(d, 0), 'unsent': 0,
                   'machine': days.get(d, 0) + (3 if serial == short_counted and d == yesterday else 0)}
                  for d in week if d >= history.first]  # fmt: skip
        reports_by_bridge[machine.bridge_id or ''].append({
            'serial': serial, 'name': machine.name, 'protocol': machine.protocol.value, 'zone': machine.zone,
            'last_contact': now.isoformat(), 'clock_skew_seconds': 420 if serial == fast_clock else 2,
            'clock_skew_source': 'push-live', 'clock_skew_at': now.isoformat(),
            'last_punch_time': f'{scans[-1].at:%Y-%m-%d %H:%M:%S}' if scans else None,
            'punches_spooled': len(scans), 'attlog_count': len(scans), 'day_counts': counts})  # fmt: skip
    for bridge_id, reports in reports_by_bridge.items():
        bridge = Principal(key_id='demo-bridge', role=Role.BRIDGE, bridge_id=bridge_id)
        body = {'bridge_time': now.isoformat(), 'bridge_version': 'demo', 'hostname': f'pc-{bridge_id.lower()}',
                'machines': reports}  # fmt: skip
        ingest.record_heartbeat(deps, bridge, body)


def _machine_uploads(
    scans: list[Scan], pin_of: dict[str, PinMapping], machines: dict[str, Machine], now: datetime
) -> int:
    """The machine scans as each bridge uploads them: one gzip NDJSON file per bridge and day."""
    files: dict[tuple[str, date], list[str]] = defaultdict(list)
    for scan in scans:
        mapping = pin_of.get(scan.employee_id)
        if mapping is None:
            continue
        machine = machines[mapping.serial]
        stamp = f'{scan.at:%Y-%m-%d %H:%M:%S}'
        status = 0 if scan.check_in else 1
        files[(machine.bridge_id or '', scan.at.date())].append(json.dumps({
            'v': 1, 'kind': 'punch', 'id': machine_punch_id(machine.serial, mapping.pin, scan.at),
            'serial': machine.serial, 'pin': mapping.pin, 'time': stamp, 'status': status, 'verify': 1,
            'source': 'push', 'raw': f'{mapping.pin}\t{stamp}\t{status}\t1\t0\t0\t0'}))  # fmt: skip
    s3 = boto3_client('s3')
    bucket = get_settings().bucket(names.BUCKET_UPLOADS)
    for (bridge_id, day), lines in sorted(files.items()):
        body = gzip.compress(('\n'.join(lines) + '\n').encode(), mtime=0)
        batch_id = hashlib.sha256(body).hexdigest()[:32]
        sent = min(datetime.combine(day + timedelta(days=1), time(0, 5), tzinfo=UTC), now)
        s3.put_object(Bucket=bucket, Key=upload_key(ingest.upload_prefix(bridge_id), batch_id, sent), Body=body)
    return len(files)


def _phone_punches(
    scans: list[Scan], pin_of: dict[str, PinMapping], employees: dict[str, Employee], opds: dict[str, Opd]
) -> list[Punch]:
    punches: list[Punch] = []
    for scan in scans:
        if scan.employee_id in pin_of:
            continue
        employee = employees[scan.employee_id]
        zone = opds[employee.opd_id].zone
        at_utc = scan.at.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        request = f'demo-{scan.at:%Y%m%d}-{"in" if scan.check_in else "out"}'
        punches.append(Punch(punch_id=phone_punch_id(employee.employee_id, request), source=PunchSource.PHONE,
                             employee_id=employee.employee_id, opd_id=employee.opd_id, at_utc=at_utc,
                             local_date=scan.at.date(), zone=zone, received_at=at_utc))  # fmt: skip
    return punches


# ---- the flagged selfie ------------------------------------------------------------------------------------------

FLAGGED_ACCURACY_M = 14.0


def flagged_scan(
    scans: list[Scan], pin_of: dict[str, PinMapping], employees: dict[str, Employee], opds: dict[str, Opd]
) -> Scan | None:
    """The latest phone arrival (staff without a machine, at an office drawn as a circle): it reaches the review
    queue instead of the ledger. The latest, so that it is this morning's once the morning has begun."""
    phone = [
        s for s in scans
        if s.check_in and s.employee_id not in pin_of
        and any(isinstance(o, CircleLocation) for o in opds[employees[s.employee_id].opd_id].locations)
    ]  # fmt: skip
    return max(phone, key=lambda s: (s.at, s.employee_id), default=None)


def _flagged_checkin(deps: Deps, employee: Employee, opd: Opd, scan: Scan) -> str:
    """The scan as the check-in use case would have recorded it when the face engine was unsure: inside the
    office, a good fix, a similarity in the review band (decided by the same rules, domain.checkin.decide), the
    selfie and the enrolled face in the media bucket. Returns the reasons' codes."""
    mobile = get_mobile()
    rng = _rng('flagged', _person_key(employee), scan.at.date())
    office = next(o for o in opd.locations if isinstance(o, CircleLocation))
    lat, lon = office.center.lat + 0.0002, office.center.lon - 0.0001  # about 25 m from the centre
    nearest = nearest_office(lat, lon, opd.locations)
    assert nearest is not None
    similarity = round(rng.uniform(mobile.policy.review_threshold + 4, mobile.policy.match_threshold - 3), 1)
    evidence = Evidence(distance_m=nearest[1], office=nearest[0], accuracy_m=FLAGGED_ACCURACY_M,
                        similarity=similarity, face_checked=True, quality_passed=True)  # fmt: skip
    outcome, reasons = decide(evidence, mobile.policy)
    if outcome is not Outcome.REVIEW:
        raise ValueError(f"the demo's flagged check-in was decided {outcome.value}, not review: {reasons}")
    digest = hashlib.sha256(f'{HISTORY_SEED}|flagged|{employee.employee_id}|{scan.at}'.encode()).digest()
    checkin_id = 'chk-' + base64.b32encode(digest[:5]).decode().lower()
    device_id = 'dev-' + base64.b32encode(digest[5:10]).decode().lower()
    reference = portrait(background=(196, 214, 230))
    selfie = portrait(background=(226, 214, 190), shade=0.78, turn=7)  # a dim room, the head a little turned
    face_key = f'faces/{employee.employee_id}/demo-reference.png'
    selfie_key = f'selfies/{scan.at.date().isoformat()}/{checkin_id}.png'
    mobile.media.put_new(face_key, reference, 'image/png')
    mobile.media.put_new(selfie_key, selfie, 'image/png')
    at_utc = scan.at.replace(tzinfo=ZoneInfo(opd.zone)).astimezone(UTC)
    enrolled_at = datetime.combine(scan.at.date().replace(day=1), time(1, 0), tzinfo=UTC)
    enrolment = Enrolment(employee_id=employee.employee_id, face_id=f'demo-{employee.employee_id}',
                          face_key=face_key, face_enrolled_at=enrolled_at)  # fmt: skip
    checkin = Checkin(
        checkin_id=checkin_id, employee_id=employee.employee_id, opd_id=opd.opd_id, device_id=device_id,
        kind='in', at_utc=at_utc, local_date=scan.at.date(), local_time=f'{scan.at:%H:%M}', zone=opd.zone,
        outcome=outcome, reasons=reasons, lat=lat, lon=lon, accuracy_m=FLAGGED_ACCURACY_M,
        distance_m=round(nearest[1]), office=nearest[0], similarity=similarity, selfie_key=selfie_key,
        selfie_sha256=hashlib.sha256(selfie).hexdigest(), client_time=f'{scan.at:%H:%M}', quality_passed=True,
    )  # fmt: skip
    with suppress(Conflict):  # a history cut short is written again on the next start; what exists stays
        # The records the check-in use case writes (services.checkins owns their shape).
        deps.store.commit(
            [Create(checkins._enrolment_record(enrolment), 'enrolled meanwhile'),
             Create(checkins._checkin_record(checkin), 'written by an earlier start')],
            AuditDraft(f'device:{device_id}', 'face.enrol', f'employee/{employee.employee_id}', opd.opd_id, None,
                       {'face_id': enrolment.face_id, 'face_key': face_key}),
        )  # fmt: skip
    return ', '.join(r.code for r in reasons)
