"""Count reconciliation in the spool: the machine's running counter against what the bridge received, per-day
counts, the machine's own day sums, and re-sending a window (see docs/bridge.md, *Count reconciliation*)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hadir_bridge.parsers import DeviceInfo
from hadir_bridge.spool.storage import SpoolBase, iso, utc_now


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


class Counting(SpoolBase):
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
