"""USB import through the command line, plain and extended attlog.dat."""

from __future__ import annotations

import io
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
