"""The spool's guarantees: WAL, deterministic identity, durable acknowledgement, deterministic batches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hadir_bridge.parsers import parse_attlog
from hadir_bridge.spool import Spool, batch_id_for

from tests.bridge.conftest import PUSH_SERIAL


def test_spool_runs_in_wal_mode_and_survives_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path / 'spool.db')
    punches, _ = parse_attlog(
        PUSH_SERIAL, '1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0\n2\t2026-01-05 07:00:01\t0\t1\t0\t0\t0'
    )
    counts = spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=punches)
    assert (counts.added, counts.duplicates) == (2, 0)
    spool.close()
    # A second connection (another process) sees the committed records.
    raw = sqlite3.connect(tmp_path / 'spool.db')
    assert raw.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
    assert raw.execute('SELECT COUNT(*) FROM records').fetchone()[0] == 2
    raw.close()


def test_same_serial_pin_and_time_is_one_record_whatever_the_source(tmp_path: Path) -> None:
    spool = Spool(tmp_path / 'spool.db')
    first, _ = parse_attlog(PUSH_SERIAL, '1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0')
    again, _ = parse_attlog(
        PUSH_SERIAL, '1\t2026-01-05 07:00:00\t1\t15\t0\t0\t0\n1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0'
    )
    spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=first)
    counts = spool.ingest(serial=PUSH_SERIAL, source='usb', table='attlog.dat', punches=again)
    assert (counts.added, counts.duplicates) == (0, 2)
    assert spool.punch_count() == 1


def test_batches_are_oldest_first_and_their_id_is_their_content_hash(tmp_path: Path) -> None:
    spool = Spool(tmp_path / 'spool.db')
    body = '\n'.join(f'{pin}\t2026-01-05 07:00:{pin:02d}\t0\t1\t0\t0\t0' for pin in range(1, 11))
    punches, _ = parse_attlog(PUSH_SERIAL, body)
    spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=punches)
    batch = spool.claim_batch(4)
    assert batch is not None and batch.record_count == 4
    assert batch.batch_id == batch_id_for(batch.lines)
    assert ['"pin":"1"' in batch.lines[0], '"pin":"4"' in batch.lines[3]] == [True, True]
    # The claimed batch is rebuilt byte for byte after a restart.
    spool.close()
    reopened = Spool(tmp_path / 'spool.db')
    pending = reopened.pending_batch()
    assert pending is not None and pending.content == batch.content
    assert reopened.claim_batch(100) is not None  # the rest, which does not include the pending four
    assert reopened.stats()['batches_pending'] == 2
