"""parse_upload, the batch reader of bridge uploads, against the plain readings: version 1 (one JSON record per line)
gives what parse_line_plain gives per line; version 2 (machine lines under section lines) gives what
parse_upload_plain gives, whether its chunks are read whole as columns or line by line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.machine_logs import (
    UPLOAD_HEADER,
    MachineRun,
    PunchLine,
    RejectedLine,
    parse_line_plain,
    parse_machine_line,
    parse_upload,
    parse_upload_plain,
)

ROOT = Path(__file__).resolve().parents[2]

_good_machine_line = st.builds(
    lambda pin, day, seconds, status, verify: (
        f'{pin}\t{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'
        f'\t{status}\t{verify}\t0\t0\t0'
    ),
    st.text(alphabet='ABz0123456789', min_size=1, max_size=24),
    st.dates(),
    st.integers(0, 86399),
    st.sampled_from(['0', '1', '5', '255', '']),
    st.sampled_from(['1', '15', '']),
)
_odd_machine_line = st.sampled_from(
    [
        '7\t2026-02-30 07:00:00\t0\t1\t0\t0\t0', '7\t2026-01-05 24:00:00\t0\t1\t0\t0\t0',
        '7\t0999-01-05 07:00:00\t0\t1\t0\t0\t0', '7\t2026-01-05 07:00:0٣\t0\t1\t0\t0\t0',
        ' 7 \t2026-01-05 07:00:00\t0\t1\t0\t0\t0', '7 2026-01-05 07:00:00 0 1', '7\t2026-01-05 07:00:00',
        '\t2026-01-05 07:00:00\t0\t1\t0\t0\t0', '7\t2026-01-05 07:00:00\tIN\t1\t0\t0\t0', 'X' * 30 + '\t2026-01-05',
        '7\t2026-01-05 07:00:00\t0\t1\t0\t0\t' + 'r' * 900, '\ufeff7\t2026-01-05 07:00:00\t0\t1\t0\t0\t0',
        '7\x00\t2026-01-05 07:00:00\t0\t1\t0\t0\t0', '7\t2026-01-05\x0007:00:00\t0\t1\t0\t0\t0', ' ', '\t', '',
    ]
)  # fmt: skip
_section_line = st.sampled_from(
    [
        '@\tCK01\tpush', '@\tCK01\tpush', '@\tBJ2C\tpull', '@\tCK01\tPUSH', '@\t\tpush', '@\t' + 'S' * 65 + '\tusb',
        '@ CK01 push', '@\tCK01\tpush\textra', '@', '@\t\t',
    ]
)  # fmt: skip
_json_line = st.sampled_from(
    [
        json.dumps({'v': 1, 'kind': 'punch', 'id': 'M#CK01#7#2026-01-05T07:41:10', 'serial': 'CK01', 'pin': '7',
                    'time': '2026-01-05 07:41:10', 'status': 0, 'verify': 1, 'source': 'push', 'raw': '7\t...'}),
        json.dumps({'v': 1, 'kind': 'oplog', 'id': 'O#CK01#21', 'serial': 'CK01', 'op_type': 21,
                    'time': '2026-01-05 07:00:00', 'raw': 'OPLOG 21'}),
        '{', '{"v": 2}', '{}',
    ]
)  # fmt: skip


@settings(max_examples=400)
@given(
    st.lists(
        st.one_of(_good_machine_line, _good_machine_line, _good_machine_line, _odd_machine_line, _section_line,
                  _json_line),
        max_size=40,
    ),
    st.sampled_from(['\n', '\r\n']),
    st.sampled_from([1, 80, 500, 65536]),
)  # fmt: skip
def test_version_2_gives_what_the_plain_reading_gives(lines: list[str], newline: str, chunk_chars: int) -> None:
    # Given a version 2 body of sections, machine lines (plain and odd), JSON records and blank lines
    body = newline.join([UPLOAD_HEADER, *lines]) + newline
    # When it is read as a batch, in chunks of many sizes
    batch = parse_upload(body, chunk_chars=chunk_chars)
    # Then every punch, event and reject (with its reason and line number) is the plain reading's
    assert batch.version == 2
    assert list(batch.lines()) == parse_upload_plain(body)
    assert batch.punch_count == sum(isinstance(line, PunchLine) for line in batch.lines())


_record = st.fixed_dictionaries(
    {
        'v': st.sampled_from([1, 1, 2]),
        'kind': st.sampled_from(['punch', 'oplog']),
        'serial': st.sampled_from(['CK01', '', 'X' * 65]),
        'pin': st.sampled_from(['7', '', 7]),
        'time': st.sampled_from(['2026-01-05 07:00:00', '2026-02-30 07:00:00', '2026-01-05 07:00:0٣', None]),
        'status': st.sampled_from([0, None, True, '1']),
        'source': st.sampled_from(['push', 'usb', 'x']),
    }
)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(_record.map(json.dumps), _record.map(lambda r: json.dumps(r, ensure_ascii=False)),
                  st.text(max_size=12), st.sampled_from(['a\x85b', 'a\u2028b', 'a\rb', '\x0c', '[]'])),
        max_size=20,
    )
)  # fmt: skip
def test_version_1_gives_what_parse_line_gives_per_line(lines: list[str]) -> None:
    # Given a version 1 body (JSON records, garbage, and characters that str.splitlines breaks lines at)
    body = '\n'.join(lines)
    # When it is read as a batch, from text or from UTF-8 bytes
    expected = [parse_line_plain(n, line) for n, line in enumerate(body.splitlines(), start=1) if line.strip()]
    # Then each line that holds anything gives what parse_line gives for it, as reconcile has always read it
    assert list(parse_upload(body).lines()) == expected
    assert list(parse_upload(body.encode()).lines()) == expected


def test_a_machine_line_gives_what_its_version_1_record_gives() -> None:
    # Given an ATTLOG line and the record a bridge writes for it
    line = '1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0'
    record = {'v': 1, 'kind': 'punch', 'id': 'M#CK01#1452#2015-07-30T15:16:28', 'serial': 'CK01', 'pin': '1452',
              'time': '2015-07-30 15:16:28', 'status': 0, 'verify': 1, 'workcode': '0', 'source': 'push',
              'received_at': '2026-01-05T00:00:00Z', 'raw': line}  # fmt: skip
    # Then both give the same punch
    punch = parse_machine_line(3, 'CK01', 'push', line)
    assert punch == parse_line_plain(3, json.dumps(record))
    assert isinstance(punch, PunchLine) and punch.local_time == datetime(2015, 7, 30, 15, 16, 28)


def test_a_plain_version_2_body_is_read_as_columns_per_section() -> None:
    # Given two machines' plain lines, an OPERLOG record between them and a bad line in a section of its own
    first = [f'{n}\t2026-01-05 07:{n // 60:02d}:{n % 60:02d}\t0\t1\t0\t0\t0' for n in range(1, 1500)]
    second = ['9\t2026-01-05 08:00:00\t1\t15\t0\t0\t0', '9\t2026-01-05 17:00:00\t1\t15\t0\t0\t0']
    oplog = json.dumps({'v': 1, 'kind': 'oplog', 'id': 'O#CK01#21', 'serial': 'CK01', 'op_type': 21,
                        'time': '2026-01-05 07:00:00', 'raw': 'OPLOG 21'})  # fmt: skip
    bad = ['@\tCK01\tpush', '9\t2026-02-30']
    body = '\n'.join([UPLOAD_HEADER, '@\tCK01\tpush', *first, oplog, '@\tBJ2C\tpull', *second, *bad])
    # When it is read
    batch = parse_upload(body.encode())
    # Then the punches come as runs of columns, each with its machine and source, in line order
    runs = [item for item in batch.items if isinstance(item, MachineRun)]
    assert [(run.serial, run.source) for run in runs][-1] == ('BJ2C', 'pull')
    assert all(run.columns.read_whole for run in runs)
    assert batch.punch_count == 1501 and sum(map(len, runs)) == 1501
    assert runs[0].columns.line_nos[0] == 3 and runs[-1].columns.line_nos[-1] == 1505
    parsed = list(batch.lines())
    assert parsed == parse_upload_plain(body)
    assert isinstance(parsed[-1], RejectedLine) and parsed[-1].line_no == 1507
    assert [(p.pin, p.verify, p.source) for p in parsed[-3:-1] if isinstance(p, PunchLine)] == [('9', 15, 'pull')] * 2


def test_an_unknown_upload_header_is_not_taken_for_version_2() -> None:
    # Given a body that names a version this cloud does not read
    batch = parse_upload('hadir-upload 3\n{"v": 1}\n')
    # Then it is read as version 1: every line is kept with its reason, none is dropped
    assert batch.version == 1
    assert [line.line_no for line in batch.lines()] == [1, 2]
    assert all(isinstance(line, RejectedLine) for line in batch.lines())


def test_the_column_engine_is_the_same_file_in_the_bridge_and_the_cloud() -> None:
    # The bridge and the Lambda are separate packages; the engine under both parsers must not drift apart
    cloud = (ROOT / 'chalicelib' / 'domain' / 'attlog_columns.py').read_text()
    assert cloud == (ROOT / 'bridge' / 'hadir_bridge' / 'attlog_columns.py').read_text()
