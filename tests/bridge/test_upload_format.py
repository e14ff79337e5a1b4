"""The version 2 upload body (docs/bridge.md): what the bridge writes, the cloud reads as the very punches, events
and rejects it reads from the version 1 body of the same records; and the cloud reads a machine line by the
bridge's ATTLOG rules."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re

from hadir_bridge.parsers import (
    LineError,
    parse_attlog,
    parse_attlog_line,
    parse_operlog,
    parse_usb_line,
)
from hadir_bridge.spool import Batch, event_payload, punch_payload
from hadir_bridge.uploader import UPLOAD_HEADER, encode_batch, upload_body_v2
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.machine_logs import ParsedLine, RejectedLine, attlog_fields, parse_upload
from tests.bridge.test_parser_fast_path import _body_lines, _good_line, _odd_line

SN = 'CKJX201960001'
USB_SN = 'AEYU201160099'
RECEIVED = '2026-01-05T01:00:00Z'
OPLOG = 'OPLOG 21\t0\t2026-01-05 06:59:00\t0\t0\t0\t0'


def _without_line_numbers(parsed: list[ParsedLine]) -> list[ParsedLine]:
    """Line numbers differ between the bodies, and a rejected machine line keeps that line as its raw text (in
    version 1, the JSON record): the rest must be equal."""
    return [
        dataclasses.replace(line, line_no=0, **({'raw': ''} if isinstance(line, RejectedLine) else {}))
        for line in parsed
    ]


@settings(max_examples=300)
@given(st.one_of(_good_line, _odd_line(), st.text(max_size=40)))
def test_the_cloud_reads_a_machine_line_by_the_bridges_rules(line: str) -> None:
    # Given any line, plain or odd
    line = line.replace('\n', '')
    try:
        punch = parse_attlog_line(SN, line)
    except LineError as exc:
        bridge: object = str(exc)
    else:
        bridge = (punch.pin, punch.time, punch.status, punch.verify)
    # Then the cloud's reading of it is the bridge's: the same fields, or the same reason
    try:
        cloud: object = attlog_fields(line)
    except ValueError as exc:
        cloud = str(exc)
    assert cloud == bridge


@settings(max_examples=200)
@given(
    _body_lines, st.lists(st.sampled_from(['1\t2026-10-03 08:59:01\t1\t0\t1\t0', '1\t2026-10-03 09:00:00\t7\t0\t1\t0']))
)
def test_a_version_2_body_gives_the_cloud_what_the_version_1_body_gives(lines: list[str], usb_lines: list[str]) -> None:
    # Given the spool records of pushed ATTLOG lines (plain and odd), a USB import and an OPERLOG event
    punches, _ = parse_attlog(SN, '\n'.join(lines))
    records = [punch_payload(p, 'push', RECEIVED) for p in punches[: len(punches) // 2]]
    records += [event_payload(e, 'push', RECEIVED) for e in parse_operlog(SN, OPLOG)[0]]
    records += [punch_payload(parse_usb_line(USB_SN, line), 'usb', RECEIVED) for line in usb_lines]
    records += [punch_payload(p, 'pull', RECEIVED) for p in punches[len(punches) // 2 :]]
    # When the bridge writes them as version 1 and as version 2
    version_1 = ''.join(record + '\n' for record in records).encode('ascii')
    version_2 = upload_body_v2(records)
    # Then the cloud reads the same punches, events and rejects (with their reasons) from both
    from_version_1 = list(parse_upload(version_1).lines())
    from_version_2 = list(parse_upload(version_2).lines())
    assert _without_line_numbers(from_version_2) == _without_line_numbers(from_version_1)
    assert parse_upload(version_2).version == 2
    # and every pushed punch whose line is printable ASCII (it reads back as itself) travels as that line, not as JSON
    as_lines = [p for p in punches if re.fullmatch(r'[\t -~]+', p.raw) and parse_attlog_line(SN, p.raw) == p]
    assert version_2.decode().count('"kind":"punch"') == len(usb_lines) + len(punches) - len(as_lines)


def test_the_uploader_writes_version_2_only_when_asked() -> None:
    # Given a batch of two pushed punches
    punches, _ = parse_attlog(SN, '7\t2026-01-05 07:00:00\t0\t1\t0\t0\t0\n8\t2026-01-05 07:00:05\t1\t15\t0\t0\t0')
    lines = [punch_payload(p, 'push', RECEIVED) for p in punches]
    batch = Batch('b1', len(lines), lines, None, 0)
    # Then the default body is the JSON lines every cloud reads, and version 2 is the header, a section, the lines
    assert gzip.decompress(encode_batch(batch)[0]) == batch.content
    assert [json.loads(line)['pin'] for line in gzip.decompress(encode_batch(batch)[0]).splitlines()] == ['7', '8']
    body = gzip.decompress(encode_batch(batch, 2)[0]).decode('ascii')
    assert body.splitlines() == [UPLOAD_HEADER, f'@\t{SN}\tpush', *(p.raw for p in punches)]
    assert encode_batch(batch, 2) == encode_batch(batch, 2)  # the same bytes and MD5 on every attempt
