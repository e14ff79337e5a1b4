"""The machine formats, exactly as the ZKTeco PUSH protocol and the UDisk attlog.dat give them."""

from __future__ import annotations

from datetime import datetime

import pytest
from hadir_bridge.parsers import (
    LineError,
    parse_attlog,
    parse_attlog_line,
    parse_command_replies,
    parse_info,
    parse_operlog,
    parse_usb_file,
    parse_usb_line,
    punch_id,
)
from hypothesis import given
from hypothesis import strategies as st

SN = 'CKJX201960001'


def test_parses_the_protocol_documents_attlog_example() -> None:
    punch = parse_attlog_line(SN, '1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0')
    assert (punch.pin, punch.time, punch.status, punch.verify, punch.workcode) == (
        '1452',
        '2015-07-30 15:16:28',
        0,
        1,
        '0',
    )
    assert punch.raw == '1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0'
    assert punch.record_id == f'M#{SN}#1452#2015-07-30T15:16:28'


def test_attlog_keeps_undefined_state_255_and_face_verify_15() -> None:
    punch = parse_attlog_line(SN, '77\t2026-01-05 07:31:02\t255\t15\t0\t0\t0')
    assert (punch.status, punch.verify) == (255, 15)


def test_attlog_with_only_pin_and_time_leaves_state_unknown() -> None:
    punch = parse_attlog_line(SN, '12\t2026-01-05 07:31:02')
    assert (punch.status, punch.verify, punch.workcode) == (None, None, '0')


def test_attlog_body_keeps_every_bad_line_with_its_reason() -> None:
    body = '\r\n'.join(
        [
            '1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0',
            '2 2026-01-05 07:00:01 0 1',
            '3\t2026-02-30 07:00:00\t0\t1\t0\t0\t0',
            '4\t05/01/2026 07:00\t0\t1',
            '\t2026-01-05 07:00:00\t0\t1',
            '6\t2026-01-05 07:00:00\tIN\t1',
            '',
            '7\t2026-01-05 07:00:07\t1\t4\t0\t0\t0',
        ]
    )
    punches, rejected = parse_attlog(SN, body + '\n')
    assert [punch.pin for punch in punches] == ['1', '7']
    assert [(item.line_no, item.reason.split(' ')[0]) for item in rejected] == [
        (2, 'expected'),
        (3, 'time'),
        (4, 'time'),
        (5, 'PIN'),
        (6, 'status'),
    ]
    assert 'not a calendar date' in rejected[1].reason


def test_parses_the_udisk_attlog_dat_line_with_a_space_padded_pin() -> None:
    punch = parse_usb_line(SN, '        1\t2026-10-03 08:59:01\t1\t0\t1\t0')
    assert (punch.pin, punch.time, punch.status, punch.verify, punch.workcode) == (
        '1',
        '2026-10-03 08:59:01',
        0,
        1,
        '0',
    )
    assert punch.raw == '        1\t2026-10-03 08:59:01\t1\t0\t1\t0'


def test_usb_line_needs_six_fields() -> None:
    with pytest.raises(LineError, match='6 tab-separated'):
        parse_usb_line(SN, '1\t2026-10-03 08:59:01\t1\t0')


def test_plain_attlog_dat_file() -> None:
    text = '        1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n       22\t2026-10-03 17:02:11\t1\t1\t1\t0\r\n'
    parsed = parse_usb_file(text, SN)
    assert parsed.serial is None and parsed.checksum is None
    assert [(p.serial, p.pin) for p in parsed.punches] == [(SN, '1'), (SN, '22')]


def test_extended_attlog_dat_has_serial_first_and_checksum_last() -> None:
    text = (
        f'{SN}\r\n'
        '        1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n'
        'bad line\t\r\n'
        '       22\t2026-10-03 17:02:11\t1\t1\t1\t0\r\n'
        '9A3F00C1\r\n'
    )
    parsed = parse_usb_file(text, None)
    assert (parsed.serial, parsed.checksum) == (SN, '9A3F00C1')
    assert [p.pin for p in parsed.punches] == ['1', '22']
    assert [(item.line_no, item.raw) for item in parsed.rejected] == [(3, 'bad line\t')]


def test_extended_file_for_another_machine_is_refused() -> None:
    with pytest.raises(LineError, match='the file says serial'):
        parse_usb_file(f'{SN}\r\n1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\nFFFF\r\n', 'OTHER0001')


def test_plain_file_without_serial_needs_one() -> None:
    with pytest.raises(LineError, match='--serial'):
        parse_usb_file('1\t2026-10-03 08:59:01\t1\t0\t1\t0\r\n', None)


def test_operlog_keeps_oplog_events_and_skips_user_and_fp_lines() -> None:
    body = '\n'.join(
        [
            'OPLOG 21\t0\t2026-01-05 06:58:10\t0\t0\t0\t0',
            'OPLOG 23\t1\t2026-01-05 06:59:00\t12\t0\t0\t0',
            'USER PIN=1\tName=Budi\tPri=0\tPasswd=123\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0\tViceCard=',
            'FP PIN=1\tFID=6\tSize=1184\tValid=1\tTMP=TWVTUzIx',
            'OPLOG x\t0\t2026-01-05 07:00:00\t0\t0\t0\t0',
            'OPLOG 4\t0',
        ]
    )
    events, skipped, rejected = parse_operlog(SN, body)
    assert [(e.op_type, e.op_who, e.time, e.values) for e in events] == [
        (21, '0', '2026-01-05 06:58:10', ('0', '0', '0')),
        (23, '1', '2026-01-05 06:59:00', ('12', '0', '0')),
    ]
    assert skipped == 2
    assert [item.line_no for item in rejected] == [5, 6]
    assert events[0].record_id == f'O#{SN}#21#0#2026-01-05T06:58:10#0#0#0'


def test_parses_getrequest_info() -> None:
    info = parse_info('Ver 2.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111')
    assert (info.firmware, info.users, info.fingerprints, info.attlog_count, info.ip, info.faces) == (
        'Ver 2.0.12-20150625',
        0,
        0,
        0,
        '192.168.16.27',
        0,
    )
    assert parse_info('Ver 6.60,52,104').attlog_count is None


def test_parses_command_replies() -> None:
    replies = parse_command_replies('ID=info8487&Return=0&CMD=DATA\nID=fp7464&Return=-1003&CMD=DATA\n')
    assert [(reply['ID'], reply['Return']) for reply in replies] == [('info8487', '0'), ('fp7464', '-1003')]


pins = st.from_regex(r'[A-Za-z0-9]{1,24}', fullmatch=True)
times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.strftime('%Y-%m-%d %H:%M:%S')
)
small = st.integers(min_value=0, max_value=255)


@given(pins, times, small, small, small)
def test_any_well_formed_attlog_line_round_trips(pin: str, time: str, status: int, verify: int, workcode: int) -> None:
    line = f'{pin}\t{time}\t{status}\t{verify}\t{workcode}\t0\t0'
    punch = parse_attlog_line(SN, line)
    assert (punch.pin, punch.time, punch.status, punch.verify, punch.workcode, punch.raw) == (
        pin,
        time,
        status,
        verify,
        str(workcode),
        line,
    )
    assert punch.record_id == punch_id(SN, pin, time)


@given(pins, times, small, small)
def test_any_padded_attlog_dat_line_parses_to_the_same_identity(pin: str, time: str, status: int, verify: int) -> None:
    punch = parse_usb_line(SN, f'{pin:>9}\t{time}\t1\t{status}\t{verify}\t0')
    assert punch.record_id == parse_attlog_line(SN, f'{pin}\t{time}\t{status}\t{verify}\t0\t0\t0').record_id


@given(st.text(max_size=200))
def test_attlog_parser_is_total(body: str) -> None:
    punches, rejected = parse_attlog(SN, body)
    # Every line that holds anything, whitespace included, is a punch or a rejected line: nothing vanishes
    assert len(punches) + len(rejected) == sum(1 for line in body.split('\n') if line.rstrip('\r'))
