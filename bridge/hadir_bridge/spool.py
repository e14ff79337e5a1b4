"""The one durable spool (SQLite, WAL): every record a source hands us is committed here before we say OK.

Records carry a deterministic identity (``M#serial#pin#local-time`` for punches), so a re-pushed, re-pulled or
re-imported punch is ignored rather than spooled twice. Each record is ``unsent`` until the batch it was
claimed into has been PUT to the cloud, then ``sent``. A batch's id is the hash of its content, and its
membership is committed before the upload starts, so a crash at any instant resumes the same batch under the
same object key.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hadir_bridge.parsers import DeviceInfo, OperEvent, Punch, Rejected

SCHEMA_VERSION = 1
RECORD_FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    serial TEXT NOT NULL,
    pin TEXT,
    local_time TEXT NOT NULL,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'unsent' CHECK (state IN ('unsent', 'sent')),
    batch_id TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS records_unclaimed ON records (state, batch_id, seq);
CREATE INDEX IF NOT EXISTS records_batch ON records (batch_id, seq);
CREATE INDEX IF NOT EXISTS records_serial ON records (serial, kind, seq);
CREATE INDEX IF NOT EXISTS records_serial_time ON records (serial, kind, local_time);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    record_count INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    object_key TEXT,
    content_md5 TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL UNIQUE,
    serial TEXT,
    source TEXT NOT NULL,
    table_name TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    raw TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    times_seen INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS unknown_devices (
    serial TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 1,
    last_path TEXT NOT NULL,
    remote_addr TEXT
);
CREATE TABLE IF NOT EXISTS machine_state (
    serial TEXT PRIMARY KEY,
    last_contact TEXT,
    remote_addr TEXT,
    info_raw TEXT,
    info_at TEXT,
    firmware TEXT,
    users INTEGER,
    fingerprints INTEGER,
    attlog_count INTEGER,
    faces INTEGER,
    ip TEXT,
    skew_seconds REAL,
    skew_source TEXT,
    skew_at TEXT,
    attlog_stamp TEXT,
    operlog_stamp TEXT,
    last_error TEXT,
    last_error_at TEXT
);
CREATE TABLE IF NOT EXISTS commands (
    cmd_id TEXT PRIMARY KEY,
    serial TEXT NOT NULL,
    command TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'replied')),
    created_at TEXT NOT NULL,
    sent_at TEXT,
    replied_at TEXT,
    return_code INTEGER,
    reply TEXT,
    backfill_id TEXT
);
CREATE INDEX IF NOT EXISTS commands_serial ON commands (serial, state, created_at);
CREATE TABLE IF NOT EXISTS backfills (
    request_id TEXT PRIMARY KEY,
    serial TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    reported_state TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS day_sums (
    serial TEXT NOT NULL,
    day TEXT NOT NULL,
    machine_count INTEGER,
    return_code INTEGER,
    at TEXT NOT NULL,
    PRIMARY KEY (serial, day)
);
CREATE TABLE IF NOT EXISTS counter_baselines (
    serial TEXT PRIMARY KEY,
    machine_base INTEGER NOT NULL,
    bridge_base INTEGER NOT NULL,
    last_count INTEGER NOT NULL,
    since TEXT,
    reason TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS imports (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    serial TEXT NOT NULL,
    checksum TEXT,
    records INTEGER NOT NULL,
    added INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


@dataclass(frozen=True)
class Counts:
    added: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        return self.added + self.duplicates + self.rejected + self.skipped


@dataclass(frozen=True)
class Batch:
    batch_id: str
    record_count: int
    lines: list[str]
    object_key: str | None
    attempts: int

    @property
    def content(self) -> bytes:
        return ''.join(line + '\n' for line in self.lines).encode('ascii')


@dataclass(frozen=True)
class Command:
    cmd_id: str
    serial: str
    command: str
    state: str
    backfill_id: str | None


def punch_payload(punch: Punch, source: str, received_at: str) -> str:
    """The NDJSON line the cloud receives for one punch (fixed key order, ASCII, no spaces)."""
    record: dict[str, Any] = {
        'v': RECORD_FORMAT_VERSION,
        'kind': 'punch',
        'id': punch.record_id,
        'serial': punch.serial,
        'pin': punch.pin,
        'time': punch.time,
        'status': punch.status,
        'verify': punch.verify,
        'workcode': punch.workcode,
        'source': source,
        'received_at': received_at,
        'raw': punch.raw,
    }
    return json.dumps(record, separators=(',', ':'), ensure_ascii=True)


def event_payload(event: OperEvent, source: str, received_at: str) -> str:
    record: dict[str, Any] = {
        'v': RECORD_FORMAT_VERSION,
        'kind': 'oplog',
        'id': event.record_id,
        'serial': event.serial,
        'op_type': event.op_type,
        'op_who': event.op_who,
        'time': event.time,
        'values': list(event.values),
        'source': source,
        'received_at': received_at,
        'raw': event.raw,
    }
    return json.dumps(record, separators=(',', ':'), ensure_ascii=True)


def batch_id_for(lines: Sequence[str], resend: int = 0) -> str:
    """Deterministic from content: the same records in the same order always give the same id (and key)."""
    digest = hashlib.sha256()
    if resend:
        digest.update(f'resend {resend}\n'.encode('ascii'))
    for line in lines:
        digest.update(line.encode('ascii'))
        digest.update(b'\n')
    return digest.hexdigest()[:32]


class Spool:
    """Thread-safe access to the spool file; one connection guarded by a lock, writes in IMMEDIATE transactions."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ':memory:':
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        mode = self._db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
        if str(path) != ':memory:' and str(mode).lower() != 'wal':
            raise RuntimeError(f'the spool {path} could not switch to WAL mode (got {mode})')
        # FULL: a record we acknowledged must survive a power cut, not only a process crash.
        self._db.execute('PRAGMA synchronous=FULL')
        self._db.execute('PRAGMA busy_timeout=30000')
        self._db.executescript(_SCHEMA)
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute('BEGIN IMMEDIATE')
            try:
                yield self._db
            except BaseException:
                self._db.execute('ROLLBACK')
                raise
            self._db.execute('COMMIT')

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    # --- intake ----------------------------------------------------------------------------------

    def ingest(
        self,
        *,
        serial: str | None,
        source: str,
        table: str,
        punches: Sequence[Punch] = (),
        events: Sequence[OperEvent] = (),
        rejected: Sequence[Rejected] = (),
        skipped: int = 0,
        now: datetime | None = None,
    ) -> Counts:
        """Commit punches, OPERLOG events and quarantined lines in one transaction; return what happened."""
        received_at = iso(now or utc_now())
        rows: list[tuple[str, str, str, str | None, str, str, str, str]] = [
            (p.record_id, 'punch', p.serial, p.pin, p.time, source, received_at, punch_payload(p, source, received_at))
            for p in punches
        ]
        rows += [
            (e.record_id, 'oplog', e.serial, None, e.time, source, received_at, event_payload(e, source, received_at))
            for e in events
        ]
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                'INSERT OR IGNORE INTO records (id, kind, serial, pin, local_time, source, received_at, payload)'
                ' VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                rows,
            )
            added = db.total_changes - before
            self._quarantine(db, serial, source, table, rejected, received_at)
        return Counts(added=added, duplicates=len(rows) - added, rejected=len(rejected), skipped=skipped)

    def quarantine(
        self, serial: str | None, source: str, table: str, rejected: Sequence[Rejected], now: datetime | None = None
    ) -> None:
        with self._write() as db:
            self._quarantine(db, serial, source, table, rejected, iso(now or utc_now()))

    @staticmethod
    def _quarantine(
        db: sqlite3.Connection, serial: str | None, source: str, table: str, rejected: Sequence[Rejected], at: str
    ) -> None:
        for item in rejected:
            fingerprint = hashlib.sha256(f'{serial}\x1f{source}\x1f{table}\x1f{item.raw}'.encode()).hexdigest()
            db.execute(
                'INSERT INTO quarantine (fingerprint, serial, source, table_name, line_no, raw, reason, first_seen,'
                ' last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET'
                ' last_seen = excluded.last_seen, times_seen = times_seen + 1',
                (fingerprint, serial, source, table, item.line_no, item.raw, item.reason, at, at),
            )

    def quarantined(self, limit: int = 1000) -> list[dict[str, Any]]:
        rows = self._read(
            'SELECT serial, source, table_name, line_no, raw, reason, first_seen, last_seen, times_seen'
            ' FROM quarantine ORDER BY id LIMIT ?',
            (limit,),
        )
        return [dict(row) for row in rows]

    def record_unknown(self, serial: str, path: str, remote_addr: str | None, now: datetime | None = None) -> None:
        at = iso(now or utc_now())
        with self._write() as db:
            db.execute(
                'INSERT INTO unknown_devices (serial, first_seen, last_seen, last_path, remote_addr)'
                ' VALUES (?, ?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET last_seen = excluded.last_seen,'
                ' hits = hits + 1, last_path = excluded.last_path, remote_addr = excluded.remote_addr',
                (serial, at, at, path, remote_addr),
            )

    def unknown_devices(self) -> list[dict[str, Any]]:
        rows = self._read('SELECT serial, first_seen, last_seen, hits, last_path, remote_addr FROM unknown_devices')
        return [dict(row) for row in rows]

    def record_import(
        self, sha256: str, path: str, serial: str, checksum: str | None, records: int, counts: Counts
    ) -> None:
        with self._write() as db:
            db.execute(
                'INSERT OR REPLACE INTO imports (sha256, path, serial, checksum, records, added, duplicates, rejected,'
                ' imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (
                    sha256,
                    path,
                    serial,
                    checksum,
                    records,
                    counts.added,
                    counts.duplicates,
                    counts.rejected,
                    iso(utc_now()),
                ),
            )

    # --- machine state ---------------------------------------------------------------------------

    def _upsert_state(self, serial: str, fields: dict[str, Any]) -> None:
        names = list(fields)
        assignments = ', '.join(f'{name} = excluded.{name}' for name in names)
        with self._write() as db:
            db.execute(
                f'INSERT INTO machine_state (serial, {", ".join(names)}) VALUES (?{", ?" * len(names)})'
                f' ON CONFLICT (serial) DO UPDATE SET {assignments}',
                (serial, *fields.values()),
            )

    def touch(self, serial: str, remote_addr: str | None = None, now: datetime | None = None) -> None:
        self._upsert_state(serial, {'last_contact': iso(now or utc_now()), 'remote_addr': remote_addr})

    def set_info(self, serial: str, info: DeviceInfo, now: datetime | None = None) -> None:
        at = iso(now or utc_now())
        self._upsert_state(
            serial,
            {
                'info_raw': info.raw,
                'info_at': at,
                'firmware': info.firmware,
                'users': info.users,
                'fingerprints': info.fingerprints,
                'attlog_count': info.attlog_count,
                'faces': info.faces,
                'ip': info.ip,
            },
        )
        if info.attlog_count is not None:
            self._observe_counter(serial, info.attlog_count, at)

    # --- count reconciliation --------------------------------------------------------------------

    def accounted(self, serial: str) -> int:
        """The machine's records the bridge holds: punches spooled plus ATTLOG lines it could only quarantine."""
        punches = self._read("SELECT COUNT(*) FROM records WHERE kind = 'punch' AND serial = ?", (serial,))[0][0]
        bad = self._read(
            "SELECT COUNT(*) FROM quarantine WHERE serial = ? AND table_name IN ('ATTLOG', 'attlog.dat')", (serial,)
        )[0][0]
        return int(punches) + int(bad)

    def _observe_counter(self, serial: str, count: int, at: str) -> None:
        """Keep the baseline the running attlog counter is compared from.

        The first reading compares absolutely (the machine holds every record since its last clear, and the
        bridge should hold them all too) unless the bridge already holds more than the machine, i.e. the log
        was cleared before: then, as after any drop of the counter (a clear), the comparison is of what both
        added since this reading.
        """
        with self._write() as db:
            row = db.execute('SELECT last_count FROM counter_baselines WHERE serial = ?', (serial,)).fetchone()
            if row is not None and count >= row['last_count']:
                # The usual reading (every getrequest): no counting, only the counter moves.
                db.execute(
                    'UPDATE counter_baselines SET last_count = ?, updated_at = ? WHERE serial = ?', (count, at, serial)
                )
                return
            held = self.accounted(serial)
            if row is None:
                absolute = held <= count
                db.execute(
                    'INSERT INTO counter_baselines (serial, machine_base, bridge_base, last_count, since, reason,'
                    ' updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
                    (serial, 0 if absolute else count, 0 if absolute else held, count, None if absolute else at,
                     'first reading' if absolute else 'first reading; the log was cleared before', at),
                )  # fmt: skip
            else:
                db.execute(
                    'UPDATE counter_baselines SET machine_base = ?, bridge_base = ?, last_count = ?, since = ?,'
                    ' reason = ?, updated_at = ? WHERE serial = ?',
                    (count, held, count, at, 'the counter dropped: the log was cleared', at, serial),
                )

    def counter_report(self, serial: str) -> dict[str, Any] | None:
        """The machine's counter against what the bridge received, both since the baseline (None: no counter)."""
        rows = self._read('SELECT * FROM counter_baselines WHERE serial = ?', (serial,))
        if not rows:
            return None
        row = rows[0]
        return {
            'machine_count': row['last_count'],
            'machine_added': row['last_count'] - row['machine_base'],
            'bridge_added': self.accounted(serial) - row['bridge_base'],
            'since_at': row['since'],
            'reason': row['reason'],
            'read_at': row['updated_at'],
        }

    def day_counts(self, serial: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """Per machine-local date from `first_day` to `last_day`: distinct punches spooled, how many are not
        yet uploaded, when the last of them was, and the machine's own count of the day when it gave one."""
        rows = self._read(
            "SELECT substr(local_time, 1, 10) AS day, COUNT(*) AS punches, SUM(state = 'unsent') AS unsent,"
            " MAX(sent_at) AS last_sent_at FROM records WHERE serial = ? AND kind = 'punch'"
            ' AND local_time >= ? AND local_time < ? GROUP BY day',
            (serial, first_day, _next_day(last_day)),
        )
        sums = {
            row['day']: row['machine_count']
            for row in self._read(
                'SELECT day, machine_count FROM day_sums WHERE serial = ? AND day >= ? AND day <= ?'
                ' AND machine_count IS NOT NULL',
                (serial, first_day, last_day),
            )
        }
        found = {row['day']: dict(row) for row in rows}
        return [
            {
                'date': day,
                'punches': int(found[day]['punches']) if day in found else 0,
                'unsent': int(found[day]['unsent'] or 0) if day in found else 0,
                'last_sent_at': found[day]['last_sent_at'] if day in found else None,
                'machine': sums.get(day),
            }
            for day in _days(first_day, last_day)
        ]

    def set_day_sum(self, serial: str, day: str, machine_count: int | None, return_code: int | None) -> None:
        with self._write() as db:
            db.execute(
                'INSERT INTO day_sums (serial, day, machine_count, return_code, at) VALUES (?, ?, ?, ?, ?)'
                ' ON CONFLICT (serial, day) DO UPDATE SET machine_count = excluded.machine_count,'
                ' return_code = excluded.return_code, at = excluded.at',
                (serial, day, machine_count, return_code, iso(utc_now())),
            )

    def resend_window(self, serial: str, start: str, end: str) -> int:
        """Mark the uploaded punches of a machine-local window unsent again, so the uploader sends them in a new
        batch (the ledger keeps each punch once, so a re-send can only add what the cloud lacks)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE records SET state = 'unsent', batch_id = NULL, sent_at = NULL WHERE serial = ?"
                " AND kind = 'punch' AND state = 'sent' AND local_time >= ? AND local_time <= ?",
                (serial, start, end),
            )
            return int(cursor.rowcount)

    def set_skew(self, serial: str, seconds: float, source: str, now: datetime | None = None) -> None:
        self._upsert_state(
            serial, {'skew_seconds': round(seconds, 1), 'skew_source': source, 'skew_at': iso(now or utc_now())}
        )

    def set_stamp(self, serial: str, table: str, stamp: str) -> None:
        column = {'ATTLOG': 'attlog_stamp', 'OPERLOG': 'operlog_stamp'}.get(table)
        if column:
            self._upsert_state(serial, {column: stamp})

    def set_error(self, serial: str, error: str | None, now: datetime | None = None) -> None:
        self._upsert_state(serial, {'last_error': error, 'last_error_at': iso(now or utc_now()) if error else None})

    def machine_state(self, serial: str) -> dict[str, Any]:
        rows = self._read('SELECT * FROM machine_state WHERE serial = ?', (serial,))
        return dict(rows[0]) if rows else {'serial': serial}

    def last_punch(self, serial: str) -> dict[str, Any] | None:
        rows = self._read(
            "SELECT local_time, received_at FROM records WHERE serial = ? AND kind = 'punch' ORDER BY seq DESC LIMIT 1",
            (serial,),
        )
        return dict(rows[0]) if rows else None

    def punch_count(self, serial: str | None = None) -> int:
        if serial is None:
            return int(self._read("SELECT COUNT(*) FROM records WHERE kind = 'punch'")[0][0])
        return int(self._read("SELECT COUNT(*) FROM records WHERE kind = 'punch' AND serial = ?", (serial,))[0][0])

    # --- commands for push machines --------------------------------------------------------------

    def queue_command(self, serial: str, cmd_id: str, command: str, backfill_id: str | None = None) -> bool:
        with self._write() as db:
            cursor = db.execute(
                'INSERT OR IGNORE INTO commands (cmd_id, serial, command, state, created_at, backfill_id)'
                " VALUES (?, ?, ?, 'queued', ?, ?)",
                (cmd_id, serial, command, iso(utc_now()), backfill_id),
            )
            return cursor.rowcount == 1

    def take_commands(self, serial: str, limit: int = 10) -> list[Command]:
        """Commands to hand to the machine now; marked sent in the same transaction."""
        with self._write() as db:
            rows = db.execute(
                "SELECT cmd_id, serial, command, state, backfill_id FROM commands WHERE serial = ? AND state = 'queued'"
                ' ORDER BY created_at, cmd_id LIMIT ?',
                (serial, limit),
            ).fetchall()
            db.executemany(
                "UPDATE commands SET state = 'sent', sent_at = ? WHERE cmd_id = ?",
                [(iso(utc_now()), row['cmd_id']) for row in rows],
            )
        return [Command(row['cmd_id'], row['serial'], row['command'], 'sent', row['backfill_id']) for row in rows]

    def record_reply(self, serial: str, cmd_id: str, return_code: int | None, reply: str) -> Command | None:
        with self._write() as db:
            db.execute(
                "UPDATE commands SET state = 'replied', replied_at = ?, return_code = ?, reply = ?"
                ' WHERE cmd_id = ? AND serial = ?',
                (iso(utc_now()), return_code, reply, cmd_id, serial),
            )
            row = db.execute(
                'SELECT cmd_id, serial, command, state, backfill_id FROM commands WHERE cmd_id = ? AND serial = ?',
                (cmd_id, serial),
            ).fetchone()
        return Command(row['cmd_id'], row['serial'], row['command'], row['state'], row['backfill_id']) if row else None

    def commands(self, serial: str | None = None) -> list[dict[str, Any]]:
        if serial is None:
            return [dict(row) for row in self._read('SELECT * FROM commands ORDER BY created_at')]
        return [
            dict(row) for row in self._read('SELECT * FROM commands WHERE serial = ? ORDER BY created_at', (serial,))
        ]

    # --- backfill requests -----------------------------------------------------------------------

    def add_backfill(self, request_id: str, serial: str, start: str, end: str) -> bool:
        at = iso(utc_now())
        with self._write() as db:
            cursor = db.execute(
                'INSERT OR IGNORE INTO backfills (request_id, serial, start, end, state, created_at, updated_at)'
                " VALUES (?, ?, ?, ?, 'new', ?, ?)",
                (request_id, serial, start, end, at, at),
            )
            return cursor.rowcount == 1

    def set_backfill(self, request_id: str, state: str, detail: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                'UPDATE backfills SET state = ?, detail = ?, updated_at = ? WHERE request_id = ?',
                (state, detail, iso(utc_now()), request_id),
            )

    def mark_backfill_reported(self, request_id: str, state: str) -> None:
        with self._write() as db:
            db.execute('UPDATE backfills SET reported_state = ? WHERE request_id = ?', (state, request_id))

    def backfills(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._read('SELECT * FROM backfills ORDER BY created_at, request_id')]

    # --- batches for the uploader ----------------------------------------------------------------

    def pending_batch(self) -> Batch | None:
        """The oldest batch claimed but not yet confirmed uploaded (a crash or failure left it behind)."""
        rows = self._read("SELECT batch_id FROM batches WHERE state = 'pending' ORDER BY first_seq LIMIT 1")
        return self.batch(rows[0]['batch_id']) if rows else None

    def batch(self, batch_id: str) -> Batch | None:
        head = self._read('SELECT * FROM batches WHERE batch_id = ?', (batch_id,))
        if not head:
            return None
        lines = [
            row['payload']
            for row in self._read('SELECT payload FROM records WHERE batch_id = ? ORDER BY seq', (batch_id,))
        ]
        return Batch(batch_id, len(lines), lines, head[0]['object_key'], head[0]['attempts'])

    def claim_batch(self, max_records: int) -> Batch | None:
        """Commit a new batch of the oldest unclaimed unsent records (arrival order), or return None."""
        with self._write() as db:
            rows = db.execute(
                "SELECT seq, payload FROM records WHERE state = 'unsent' AND batch_id IS NULL ORDER BY seq LIMIT ?",
                (max_records,),
            ).fetchall()
            if not rows:
                return None
            lines = [row['payload'] for row in rows]
            batch_id = batch_id_for(lines)
            resend = 0
            # Records sent again (a backfill) can repeat an earlier batch exactly: a batch id names one claim.
            while db.execute('SELECT 1 FROM batches WHERE batch_id = ?', (batch_id,)).fetchone():
                resend += 1
                batch_id = batch_id_for(lines, resend)
            first_seq, last_seq = rows[0]['seq'], rows[-1]['seq']
            db.execute(
                'INSERT OR IGNORE INTO batches (batch_id, state, record_count, first_seq, last_seq, created_at)'
                " VALUES (?, 'pending', ?, ?, ?, ?)",
                (batch_id, len(lines), first_seq, last_seq, iso(utc_now())),
            )
            db.execute(
                "UPDATE records SET batch_id = ? WHERE state = 'unsent' AND batch_id IS NULL AND seq <= ?",
                (batch_id, last_seq),
            )
        return Batch(batch_id, len(lines), lines, None, 0)

    def note_attempt(self, batch_id: str, object_key: str | None, content_md5: str | None, error: str | None) -> None:
        with self._write() as db:
            db.execute(
                'UPDATE batches SET attempts = attempts + 1, object_key = COALESCE(?, object_key),'
                ' content_md5 = COALESCE(?, content_md5), last_error = ? WHERE batch_id = ?',
                (object_key, content_md5, error, batch_id),
            )

    def mark_sent(self, batch_id: str, object_key: str, content_md5: str, now: datetime | None = None) -> None:
        at = iso(now or utc_now())
        with self._write() as db:
            db.execute(
                "UPDATE batches SET state = 'sent', object_key = ?, content_md5 = ?, sent_at = ?, last_error = NULL"
                ' WHERE batch_id = ?',
                (object_key, content_md5, at, batch_id),
            )
            db.execute("UPDATE records SET state = 'sent', sent_at = ? WHERE batch_id = ?", (at, batch_id))

    def batches(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._read('SELECT * FROM batches ORDER BY first_seq')]

    # --- summary ---------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        counts = {
            f'{row["kind"]}_{row["state"]}': row['n']
            for row in self._read('SELECT kind, state, COUNT(*) AS n FROM records GROUP BY kind, state')
        }
        oldest = self._read("SELECT MIN(received_at) FROM records WHERE state = 'unsent'")[0][0]
        return {
            'punches_unsent': counts.get('punch_unsent', 0),
            'punches_sent': counts.get('punch_sent', 0),
            'events_unsent': counts.get('oplog_unsent', 0),
            'events_sent': counts.get('oplog_sent', 0),
            'oldest_unsent_received_at': oldest,
            'batches_pending': int(self._read("SELECT COUNT(*) FROM batches WHERE state = 'pending'")[0][0]),
            'quarantined': int(self._read('SELECT COUNT(*) FROM quarantine')[0][0]),
            'unknown_devices': [
                row['serial'] for row in self._read('SELECT serial FROM unknown_devices ORDER BY serial')
            ],
        }
