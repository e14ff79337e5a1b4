"""The seams between services and the outside world. Adapters implement them; tests fake them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.faces import DetectedFace, FaceBox, FaceMatch
from chalicelib.domain.liveness import FaceComparison
from chalicelib.domain.models import AuditEntry, Punch

if TYPE_CHECKING:  # the allowance records' types only: a check-in's cold start does not load the TPP engine
    from chalicelib.domain.tpp.records import DayRecord, MonthRecord, MonthRevision

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Record:
    """One master-data record as stored: the domain object's JSON plus how it is found."""

    kind: str
    id: str
    data: JsonDict
    version: int = 0
    list_key: str | None = None  # sort key within its kind's listing (OPD-first, so OPD filters are prefixes)
    lookup: tuple[str, str] | None = None  # a second access path (e.g. a machine's PIN mappings)
    expires_at: datetime | None = None  # DynamoDB's TTL removes the record some time after (a liveness challenge)


@dataclass(frozen=True)
class Create:
    record: Record
    conflict: str  # message when a record with this id already exists


@dataclass(frozen=True)
class Replace:
    record: Record  # stored with version + 1, only if the stored version equals record.version
    conflict: str = 'the record was changed by someone else; reload it and try again'


@dataclass(frozen=True)
class Remove:
    kind: str
    id: str
    expected_version: int | None = None


Write = Create | Replace | Remove


@dataclass(frozen=True)
class AuditDraft:
    actor_key_id: str
    action: str
    target: str
    opd_id: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class Page:
    items: list[Record]
    next_cursor: str | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PunchWriteResult:
    accepted: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)


class DirectoryStore(Protocol):
    def get(self, kind: str, record_id: str) -> Record | None:
        """The record, or None."""
        ...

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        """The records found among `record_ids`, by id."""
        ...

    def list(self, kind: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        """Records of one kind whose list_key starts with `prefix`, in list_key order."""
        ...

    def list_lookup(self, lookup_key: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        """Records reachable by their `lookup` pair."""
        ...

    def commit(self, writes: Sequence[Write], audit: AuditDraft | None) -> AuditEntry | None:
        """Apply every write and append the audit entry, all or nothing."""
        ...

    def put_many(self, records: Sequence[Record]) -> None:
        """Write bookkeeping records in bulk, unconditionally and without audit (each must be idempotent)."""
        ...

    def set_field(self, kind: str, record_id: str, field: str, value: object) -> None:
        """Set one bookkeeping field (e.g. last-used time) without a version bump or audit entry."""
        ...


class AuditLog(Protocol):
    def entries(self, *, opd_id: str | None, limit: int, cursor: str | None) -> AuditPage:
        """Newest first."""
        ...

    def walk(self, from_seq: int = 1) -> Iterator[AuditEntry]:
        """Every entry from `from_seq` (the first by default), in order."""
        ...


@dataclass(frozen=True)
class WaitingPunch:
    """A machine punch whose PIN had no mapping when it arrived."""

    punch_id: str
    serial: str
    pin: str
    local_date: date


class PunchLedger(Protocol):
    def record(self, punches: Sequence[Punch]) -> PunchWriteResult:
        """Write punches that are not yet in the ledger; report which were new and which repeats."""
        ...

    def for_employee(self, employee_id: str, start: datetime, end: datetime) -> list[Punch]:
        """Punches of one employee with start <= at_utc < end, in time order."""
        ...

    def assign(self, punch_id: str, employee_id: str, opd_id: str) -> bool:
        """Give an unmapped punch its employee once a PIN mapping covers it; False if already assigned."""
        ...

    def for_opd_date(self, opd_id: str, local_date: date) -> list[Punch]:
        """Punches stamped with one OPD and local working date (every employee's), in time order."""
        ...

    def unmapped(self, serial: str) -> list[WaitingPunch]:
        """The machine's punches still without an employee (their PIN had no mapping), by PIN and date."""
        ...


Clock = Callable[[], datetime]


DayKey = tuple[str, date]  # (employee_id, local date)


@dataclass(frozen=True)
class DayChange:
    """What a day close changed in the stored day records of one date: employee ids."""

    written: list[str]  # new or changed
    removed: list[str]  # no longer owed
    stored: list[DayRecord] = field(default_factory=list)  # with keep: every record of the date as left, by employee


class AllowanceRecords(Protocol):
    """Day records, month records and month revisions. Every key is deterministic: re-runs overwrite."""

    def days(self, keys: Sequence[DayKey]) -> dict[DayKey, DayRecord]:
        """The stored day records among `keys`."""
        ...

    def replace_day(
        self, local_date: date, employee_ids: Collection[str], records: Sequence[DayRecord], *, keep: bool = False
    ) -> DayChange:
        """Make ``records`` the stored day records of ``employee_ids`` on the date: write those new or changed,
        remove those of employees among ``employee_ids`` without one; the date's records are read as one sheet
        per employee shard, not one item per employee. With ``keep``, the change also carries every record of
        the date as stored after it (``stored``: other employees' too), for a month close in the same job."""
        ...

    def put_days(self, records: Sequence[DayRecord]) -> None: ...

    def remove_days(self, keys: Sequence[DayKey]) -> None: ...

    def days_in_month(self, month: str, held: Sequence[DayRecord] | None = None) -> list[DayRecord]:
        """Every day record of the month, whatever OPD the employee was in. ``held``: the records of every date
        of the month as this job's day close left them (``DayChange.stored``); only what they cannot hold (day
        records stored before day sheets) is read."""
        ...

    def days_of(self, dates: Sequence[date], employee_ids: Collection[str]) -> dict[DayKey, DayRecord]:
        """The day records of these dates of these employees (an OPD's month grid), read by date (the day
        sheets) rather than one key per employee and date: 31,000 keys for a month of 1,000 employees."""
        ...

    def revisions(self, month: str) -> list[MonthRevision]:
        """Every revision head of the month, pending ones included, oldest first."""
        ...

    def claim_revision(self, revision: MonthRevision) -> None:
        """Store a pending revision head; Conflict if that revision number is taken."""
        ...

    def put_month_records(self, month: str, revision: int, records: Sequence[MonthRecord]) -> None: ...

    def month_records(self, month: str, revision: int) -> list[MonthRecord]:
        """The month records of one revision, in (OPD, employee) order."""
        ...

    def opd_month_records(self, month: str, revision: int, opd_id: str) -> list[MonthRecord]:
        """The month records of one OPD in one revision, in employee order, reading no other OPD's."""
        ...

    def month_record(self, employee_id: str, month: str, revision: int) -> MonthRecord | None:
        """One employee's record in one revision of a month, or None."""
        ...

    def save_revision(self, revision: MonthRevision) -> None:
        """Overwrite a revision head (to complete it, or to record its export files)."""
        ...


class ObjectStore(Protocol):
    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        """Write an object that must never be overwritten: True if written, False if the same bytes were
        already there; Conflict if different bytes are."""
        ...

    def download_url(self, key: str, expires_seconds: int) -> str: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; NotFound if there is none."""
        ...


class FaceEngineBusy(Exception):
    """The engine refused the call for now (Rekognition throttling): the caller queues the work for later."""


class FaceEngine(Protocol):
    """Face detection and comparison. Similarities are on Rekognition's 0-100 scale for every engine."""

    def detect(self, image: bytes) -> list[DetectedFace]:
        """Every face in the image, largest first. Raises ValueError for bytes that are not a JPEG or PNG."""
        ...

    def compare(self, reference: bytes, probe: bytes) -> float | None:
        """Similarity of the largest face in `probe` to the face in `reference`; None if `probe` has no face."""
        ...

    def search(self, image: bytes, threshold: float) -> list[FaceMatch]:
        """Indexed faces at least `threshold` similar to the largest face in `image`, most similar first."""
        ...

    def index(self, image: bytes, external_id: str) -> str:
        """Index the largest face in `image` under `external_id`; returns the engine's face id."""
        ...

    def remove(self, face_ids: Sequence[str]) -> None:
        """Forget indexed faces (an admin reset of an enrolment)."""
        ...

    def compare_detail(self, reference: bytes, probe: bytes) -> FaceComparison:
        """One comparison that also reads the probe: the similarity of its largest face to the face in `reference`
        (None if it has no face) and every face in it with pose, box and quality (Rekognition's CompareFaces
        returns them for the compared faces). Liveness and the check-in gate use it so that a check-in costs at
        most two engine calls. Raises ValueError for bytes that are not a JPEG or PNG."""
        ...


__all__ = ['DetectedFace', 'FaceBox', 'FaceMatch', 'FaceComparison']  # the face port's value types live in the domain


class WorkQueue(Protocol):
    def send(self, message: JsonDict, delay_seconds: int = 0) -> None:
        """Queue a message for a consumer (SQS in AWS)."""
        ...


class NonceBook(Protocol):
    def claim(self, scope: str, nonce: str, expires_at: datetime) -> bool:
        """Record a nonce once: True the first time, False if it was seen before (a replay)."""
        ...


@dataclass(frozen=True)
class Claim:
    """A key taken once and kept until `expires_at` (DynamoDB's TTL): a signed request's nonce, a check-in's
    Idempotency-Key. `data` is what the request that took it leaves for its retries (its answer)."""

    id: str
    expires_at: datetime
    data: JsonDict | None = None


class ClaimTaken(Exception):
    """A unit's claim was taken before (a replayed nonce, a retried Idempotency-Key): nothing was written."""

    def __init__(self, claim_id: str) -> None:
        super().__init__(claim_id)
        self.claim_id = claim_id


@dataclass(frozen=True)
class SetField:
    """One bookkeeping field of an existing record, as DirectoryStore.set_field."""

    kind: str
    id: str
    field: str
    value: object


@dataclass(frozen=True)
class Unit:
    """Everything one phone request writes, all or nothing."""

    writes: Sequence[Write] = ()  # conditional, as DirectoryStore.commit (no audit entry)
    records: Sequence[Record] = ()  # bookkeeping, written whatever is stored
    fields: Sequence[SetField] = ()
    punches: Sequence[Punch] = ()  # new punches: the unit fails if one is in the ledger already
    claims: Sequence[Claim] = ()  # the unit fails (ClaimTaken) if one is taken and not expired


@dataclass(frozen=True)
class Reads:
    """What one batch read found: records by (kind, id), claims by id, and which keys were asked."""

    records: Mapping[tuple[str, str], Record] = field(default_factory=dict)
    claims: Mapping[str, Claim] = field(default_factory=dict)
    asked: frozenset[tuple[str, str]] = frozenset()
    asked_claims: frozenset[str] = frozenset()

    def get(self, kind: str, record_id: str) -> Record | None:
        return self.records.get((kind, record_id))

    def merged(self, other: Reads) -> Reads:
        return Reads({**self.records, **other.records}, {**self.claims, **other.claims}, self.asked | other.asked,
                     self.asked_claims | other.asked_claims)  # fmt: skip


class RequestStore(Protocol):
    """A phone request's reads in one batch and its writes in one transaction, across the directory, the punch
    ledger and the claims (docs/data-model.md, check-in)."""

    def read(self, records: Sequence[tuple[str, str]], claims: Sequence[str] = ()) -> Reads:
        """Records by (kind, id) and claims by id, strongly consistent, in one batch read."""
        ...

    def commit(self, unit: Unit, now: datetime) -> None:
        """Apply the unit in one transaction: ClaimTaken if a claim is taken (one expired before `now` is free),
        Conflict (the write's message) if a conditional write fails or a punch is in the ledger already, NotFound
        if a field's record is gone."""
        ...


@dataclass(frozen=True)
class FilesReady:
    """A month's finance files are written: what finance is told, already worded (services.allowance)."""

    month: str
    revision: int
    subject: str  # at most 100 characters (an SNS e-mail subject)
    message: str
    link: str  # the console's Keuangan screen


class FinanceNotices(Protocol):
    def files_ready(self, notice: FilesReady) -> None:
        """Tell finance (BPKAD) that a month's files can be downloaded: SNS e-mail deployed, the log locally."""
        ...
