"""The spool's storage: the SQLite file, its schema, and the records, quarantine, machine state, commands and
backfills kept in it. Every write is one IMMEDIATE transaction under one lock."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hadir_bridge.parsers import OperEvent, Punch, Rejected

SCHEMA_VERSION = 1
RECORD_FORMAT_VERSION = 1


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
CREATE TABLE IF NOT EXISTS intakes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    serial TEXT,
    source TEXT NOT NULL,
    table_name TEXT NOT NULL,
    lines INTEGER NOT NULL,
    added INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    skipped INTEGER NOT NULL
);
"""

# Columns added after a spool file may already exist (CREATE TABLE IF NOT EXISTS does not add them).
_ADDED_COLUMNS = {
    'imports': {'times_imported': 'INTEGER NOT NULL DEFAULT 1', 'last_imported_at': 'TEXT'},
    # A backfill's evidence: what each step did, kept side by side (a later step never erases an earlier count).
    'backfills': {'resent': 'INTEGER', 'pulled': 'INTEGER', 'device_return': 'INTEGER'},
}
BACKFILL_COUNTS = ('resent', 'pulled', 'device_return')
INTAKES_KEPT = 10000


def utc_now() -> datetime:
    return datetime.now(UTC)


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


class SpoolBase:
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
        for table, columns in _ADDED_COLUMNS.items():
            present = {row['name'] for row in self._db.execute(f'PRAGMA table_info({table})')}
            for name, declaration in columns.items():
                if name not in present:
                    self._db.execute(f'ALTER TABLE {table} ADD COLUMN {name} {declaration}')
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

    def _upsert_state(self, serial: str, fields: dict[str, Any]) -> None:
        names = list(fields)
        assignments = ', '.join(f'{name} = excluded.{name}' for name in names)
        with self._write() as db:
            db.execute(
                f'INSERT INTO machine_state (serial, {", ".join(names)}) VALUES (?{", ?" * len(names)})'
                f' ON CONFLICT (serial) DO UPDATE SET {assignments}',
                (serial, *fields.values()),
            )


class Storage(SpoolBase):
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
            added = 0
            for row in rows:
                # One statement per record, so a duplicate is counted as one, not inferred by subtraction.
                added += db.execute(
                    'INSERT OR IGNORE INTO records (id, kind, serial, pin, local_time, source, received_at, payload)'
                    ' VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                    row,
                ).rowcount
            self._quarantine(db, serial, source, table, rejected, received_at)
            counts = Counts(added=added, duplicates=len(rows) - added, rejected=len(rejected), skipped=skipped)
            if counts.handled:
                self._note_intake(db, serial, source, table, counts, received_at)
        return counts

    @staticmethod
    def _note_intake(
        db: sqlite3.Connection, serial: str | None, source: str, table: str, counts: Counts, at: str
    ) -> None:
        """The result of one delivery (a push, a pull, a chunk of a USB file), kept for ``status``."""
        cursor = db.execute(
            'INSERT INTO intakes (at, serial, source, table_name, lines, added, duplicates, quarantined, skipped)'
            ' VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (at, serial, source, table, counts.handled, counts.added, counts.duplicates, counts.rejected,
             counts.skipped),
        )  # fmt: skip
        if cursor.lastrowid and cursor.lastrowid % 1000 == 0:
            db.execute('DELETE FROM intakes WHERE id <= ?', (cursor.lastrowid - INTAKES_KEPT,))

    def intakes(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest deliveries, newest first: lines, and of them added, duplicates, quarantined and not kept."""
        return [dict(row) for row in self._read('SELECT * FROM intakes ORDER BY id DESC LIMIT ?', (limit,))]

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
    ) -> dict[str, Any]:
        """Keep the first import of a file as it was (what it added is what that import did); a re-import only
        counts itself. Returns the file's record."""
        at = iso(utc_now())
        with self._write() as db:
            db.execute(
                'INSERT INTO imports (sha256, path, serial, checksum, records, added, duplicates, rejected,'
                ' imported_at, times_imported, last_imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)'
                ' ON CONFLICT (sha256) DO UPDATE SET times_imported = times_imported + 1,'
                ' last_imported_at = excluded.last_imported_at',
                (sha256, path, serial, checksum, records, counts.added, counts.duplicates, counts.rejected, at, at),
            )
            row = db.execute('SELECT * FROM imports WHERE sha256 = ?', (sha256,)).fetchone()
        return dict(row)

    def imports(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._read('SELECT * FROM imports ORDER BY imported_at, sha256')]

    # --- machine state ---------------------------------------------------------------------------

    def touch(self, serial: str, remote_addr: str | None = None, now: datetime | None = None) -> None:
        self._upsert_state(serial, {'last_contact': iso(now or utc_now()), 'remote_addr': remote_addr})

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

    def set_backfill(
        self, request_id: str, state: str, detail: str | None = None, *, append: bool = False,
        resent: int | None = None, pulled: int | None = None, device_return: int | None = None,
    ) -> None:  # fmt: skip
        """Set a request's state and note; ``append`` adds the note after the earlier one instead of replacing
        it, and each count given is kept beside the earlier ones (a count not given stays as it was)."""
        detail_sql = "CASE WHEN detail IS NULL THEN ? ELSE detail || '; ' || ? END" if append else '?'
        detail_args = (detail, detail) if append else (detail,)
        with self._write() as db:
            db.execute(
                f'UPDATE backfills SET state = ?, detail = {detail_sql}, updated_at = ?, resent = COALESCE(?, resent),'
                ' pulled = COALESCE(?, pulled), device_return = COALESCE(?, device_return) WHERE request_id = ?',
                (state, *detail_args, iso(utc_now()), resent, pulled, device_return, request_id),
            )

    def mark_backfill_reported(self, request_id: str, state: str) -> None:
        with self._write() as db:
            db.execute('UPDATE backfills SET reported_state = ? WHERE request_id = ?', (state, request_id))

    def backfills(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._read('SELECT * FROM backfills ORDER BY created_at, request_id')]

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
