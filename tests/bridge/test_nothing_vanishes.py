"""Every line a machine sends is a punch, a counted duplicate, or a quarantined line with its reason."""

from __future__ import annotations

from pathlib import Path

from hadir_bridge.config import Config
from hadir_bridge.parsers import BLANK_REASON
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool
from hadir_bridge.usb import import_usb

from tests.bridge.conftest import PUSH_SERIAL, USB_SERIAL
from tests.bridge.machine_sim import PushMachine


def test_tab_only_and_whitespace_only_push_lines_are_quarantined_and_duplicates_counted_by_name(
    running_bridge: Bridge, spool: Spool
) -> None:
    # Given an ATTLOG body with a punch, a tab-only line, a spaces-only line, the punch again and another punch
    machine = PushMachine(*running_bridge.address, PUSH_SERIAL)
    first = '1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0'
    lines = [first, '\t\t\t\t\t\t', '   ', first, '2\t2026-01-05 07:00:09\t0\t1\t0\t0\t0']
    # When the machine pushes it
    assert machine.push('ATTLOG', lines) == (200, 'OK: 5')
    machine.close()
    # Then two punches are spooled, the two empty-looking lines are kept with their reason
    assert spool.punch_count() == 2
    assert sorted((item['line_no'], item['raw'], item['reason']) for item in spool.quarantined()) == [
        (2, '\t\t\t\t\t\t', BLANK_REASON),
        (3, '   ', BLANK_REASON),
    ]
    # And the delivery's result names each outcome, the duplicate included
    [intake] = [item for item in spool.intakes() if item['table_name'] == 'ATTLOG']
    assert {k: intake[k] for k in ('serial', 'lines', 'added', 'duplicates', 'quarantined', 'skipped')} == {
        'serial': PUSH_SERIAL,
        'lines': 5,
        'added': 2,
        'duplicates': 1,
        'quarantined': 2,
        'skipped': 0,
    }


def test_a_punch_pushed_again_is_a_named_duplicate(running_bridge: Bridge, spool: Spool) -> None:
    machine = PushMachine(*running_bridge.address, PUSH_SERIAL)
    line = ['7\t2026-01-05 07:10:00\t0\t1\t0\t0\t0']
    assert machine.push('ATTLOG', line) == (200, 'OK: 1')
    assert machine.push('ATTLOG', line) == (200, 'OK: 1')
    machine.close()
    assert [(item['added'], item['duplicates']) for item in spool.intakes()] == [(0, 1), (1, 0)]


def test_whitespace_lines_in_a_usb_file_are_quarantined_not_dropped(
    tmp_path: Path, config: Config, spool: Spool
) -> None:
    # Given a plain attlog.dat with a tab-only line inside and a spaces-only line at its end
    file = tmp_path / '1_attlog.dat'
    records = ['        1\t2026-10-03 08:01:01\t1\t0\t1\t0', '\t\t\t\t\t', '        2\t2026-10-03 08:02:01\t1\t0\t1\t0']
    file.write_bytes(('\r\n'.join([*records, '      ']) + '\r\n').encode())
    # When it is imported
    result = import_usb(spool, config, file, USB_SERIAL, progress=False)
    # Then every line is accounted for
    assert (result.records, result.counts.added, result.counts.rejected) == (4, 2, 2)
    assert sorted((item['line_no'], item['reason']) for item in spool.quarantined()) == [
        (2, BLANK_REASON),
        (4, BLANK_REASON),
    ]
