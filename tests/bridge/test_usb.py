"""USB import through the command line, plain and extended attlog.dat."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hadir_bridge.cli import main
from hadir_bridge.config import Config
from hadir_bridge.spool import Spool
from hadir_bridge.usb import import_usb

from tests.bridge.conftest import PUSH_SERIAL, USB_SERIAL


def _extended(path: Path, serial: str) -> Path:
    lines = [serial] + [f'{pin:>9}\t2026-10-03 08:{pin:02d}:01\t1\t0\t1\t0' for pin in range(1, 51)]
    lines += ['       77\tnot a time\t1\t0\t1\t0', 'C0FFEE12']
    path.write_bytes(('\r\n'.join(lines) + '\r\n').encode())
    return path


def test_import_usb_command_spools_punches_and_quarantines_bad_lines(
    tmp_path: Path, config: Config, capsys: object
) -> None:
    file = _extended(tmp_path / '1_attlog.dat', USB_SERIAL)
    assert config.source is not None
    code = main(['--config', str(config.source), 'import-usb', str(file), '--serial', USB_SERIAL, '--no-progress'])
    assert code == 0
    spool = Spool(config.spool)
    assert spool.punch_count(USB_SERIAL) == 50
    [bad] = spool.quarantined()
    assert (bad['line_no'], bad['source'], bad['raw']) == (52, 'usb', '       77\tnot a time\t1\t0\t1\t0')
    # Importing the same file again adds nothing.
    assert main(['--config', str(config.source), 'import-usb', str(file), '--no-progress']) == 0
    assert spool.punch_count() == 50 and len(spool.quarantined()) == 1
    spool.close()


def test_progress_bar_is_drawn(tmp_path: Path, config: Config, spool: Spool) -> None:
    out = io.StringIO()
    result = import_usb(spool, config, _extended(tmp_path / 'x_attlog.dat', USB_SERIAL), None, progress=True, out=out)
    assert result.counts.added == 50 and result.checksum == 'C0FFEE12'
    assert '51/51' in out.getvalue()


def test_plain_file_for_a_push_machine_dedupes_against_pushed_punches(
    tmp_path: Path, config: Config, spool: Spool
) -> None:
    from hadir_bridge.parsers import parse_attlog

    pushed, _ = parse_attlog(PUSH_SERIAL, '1\t2026-10-03 08:01:01\t0\t1\t0\t0\t0')
    spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=pushed)
    file = tmp_path / 'plain_attlog.dat'
    file.write_text('        1\t2026-10-03 08:01:01\t1\t0\t1\t0\r\n        2\t2026-10-03 08:02:01\t1\t0\t1\t0\r\n')
    result = import_usb(spool, config, file, PUSH_SERIAL, progress=False)
    assert (result.counts.added, result.counts.duplicates) == (1, 1)


def test_refuses_a_file_from_another_or_unknown_machine(tmp_path: Path, config: Config, capsys: object) -> None:
    assert config.source is not None
    file = _extended(tmp_path / '1_attlog.dat', USB_SERIAL)
    assert main(['--config', str(config.source), 'import-usb', str(file), '--serial', PUSH_SERIAL]) == 1
    stranger = _extended(tmp_path / '2_attlog.dat', 'STRANGER0001')
    assert main(['--config', str(config.source), 'import-usb', str(stranger), '--no-progress']) == 1
    spool = Spool(config.spool)
    assert spool.punch_count() == 0
    assert [item['serial'] for item in spool.unknown_devices()] == ['STRANGER0001']
    spool.close()


def _records(count: int) -> list[str]:
    return [f'{pin:>9}\t2026-10-03 08:{pin:02d}:01\t1\t0\t1\t0' for pin in range(1, count + 1)]


def test_a_truncated_last_line_is_quarantined_not_taken_for_a_checksum(
    tmp_path: Path, config: Config, spool: Spool
) -> None:
    # Given plain files whose last record was cut short, before its first tab and inside its time
    for name, cut in (('a_attlog.dat', '        7'), ('b_attlog.dat', '        8\t2026-10-03 0')):
        file = tmp_path / name
        file.write_bytes(('\r\n'.join([*_records(3), cut])).encode())
        # When each is imported
        result = import_usb(spool, config, file, USB_SERIAL, progress=False)
        # Then the cut line is kept as a quarantined record, not recorded as a checksum
        assert (result.counts.rejected, result.checksum) == (1, None)
    assert [item['raw'] for item in spool.quarantined()] == ['        7', '        8\t2026-10-03 0']


def test_an_extended_file_cut_before_its_checksum_keeps_its_last_record_as_evidence(
    tmp_path: Path, config: Config, spool: Spool
) -> None:
    file = tmp_path / 'x_attlog.dat'
    file.write_bytes(('\r\n'.join([USB_SERIAL, *_records(3), '        4\t2026-10-03 08:0'])).encode())
    result = import_usb(spool, config, file, None, progress=False)
    assert (result.serial, result.counts.added, result.counts.rejected, result.checksum) == (USB_SERIAL, 3, 1, None)


def test_a_truncated_first_line_is_not_taken_for_the_serial(tmp_path: Path, config: Config, spool: Spool) -> None:
    # Given a plain file whose first record was damaged down to (part of) its PIN, padded or not
    for name, damaged in (('p_attlog.dat', '     1234'), ('q_attlog.dat', '1234')):
        file = tmp_path / name
        file.write_bytes(('\r\n'.join([damaged, *_records(2)]) + '\r\n').encode())
        # When it is imported for its machine
        result = import_usb(spool, config, file, USB_SERIAL, progress=False)
        # Then the file is not refused: its records are spooled and the damaged line quarantined
        assert (result.serial, result.counts.rejected) == (USB_SERIAL, 1)
    assert spool.punch_count(USB_SERIAL) == 2
    assert sorted(item['raw'] for item in spool.quarantined()) == ['     1234', '1234']


def test_reimport_keeps_the_first_imports_record(tmp_path: Path, config: Config, spool: Spool) -> None:
    file = _extended(tmp_path / '1_attlog.dat', USB_SERIAL)
    first = import_usb(spool, config, file, USB_SERIAL, progress=False)
    again = import_usb(spool, config, file, USB_SERIAL, progress=False)
    assert (first.counts.added, again.counts.added, again.counts.duplicates) == (50, 0, 50)
    [record] = spool.imports()
    assert (record['added'], record['duplicates'], record['times_imported']) == (50, 0, 2)
    assert again.first_imported_at == record['imported_at'] and again.times_imported == 2


def test_the_raw_line_is_kept_as_the_machine_wrote_it(tmp_path: Path, config: Config, spool: Spool) -> None:
    file = tmp_path / 'plain_attlog.dat'
    file.write_bytes(b'        1\t2026-10-03 08:01:01\t1\t0\t1\t0\r\n')
    import_usb(spool, config, file, USB_SERIAL, progress=False)
    [row] = spool._read("SELECT payload FROM records WHERE kind = 'punch'")
    assert json.loads(row['payload'])['raw'] == '        1\t2026-10-03 08:01:01\t1\t0\t1\t0'
