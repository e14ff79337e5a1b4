"""parse_line's fast path against the plain parser (parse_line_plain): the same punches, events and rejects
with the same reasons, on generated upload records and on records built to sit at the edge of each rule."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.machine_logs import PunchLine, parse_line, parse_line_plain

_two = st.one_of(st.integers(0, 99).map(lambda n: f'{n:02d}'), st.sampled_from(['0', '7', '60', '61', '24']))
_date = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)).map(
        lambda t: f'{t[0]:04d}-{t[1]:02d}-{t[2]:02d}'
    ),
    st.sampled_from(['2026-02-29', '2024-02-29', '2026-1-05', '٢٠٢٦-01-05', '0999-01-05', '0000-01-01']),
)
_time = st.one_of(
    st.tuples(_date, _two, _two, _two).map(lambda t: f'{t[0]} {t[1]}:{t[2]}:{t[3]}'),
    st.sampled_from(['2026-01-05T07:00:00', '2026-01-05  07:00:00', '2026-01-05 7:00:00', '2026-01-05 07:00:0٣']),
    st.integers(),
    st.none(),
)
_text = st.one_of(st.text(alphabet='AB12 #', min_size=0, max_size=6), st.just('X' * 65), st.integers(), st.none())
_int = st.one_of(st.none(), st.integers(-5, 300), st.booleans(), st.floats(allow_nan=False), st.text(max_size=2))
_source = st.one_of(
    st.sampled_from(['push', 'pull', 'usb', 'PUSH', '']), st.none(), st.lists(st.integers(), max_size=1)
)


@st.composite
def _record(draw: Any) -> dict[str, Any]:
    serial, pin, time = draw(_text), draw(_text), draw(_time)
    record = {'v': draw(st.sampled_from([1, 1, 1, 2, True, 1.0, '1'])),
              'kind': draw(st.sampled_from(['punch', 'punch', 'oplog', 'other'])), 'serial': serial, 'pin': pin,
              'time': time, 'status': draw(_int), 'verify': draw(_int), 'source': draw(_source),
              'raw': draw(st.one_of(st.text(max_size=8), st.integers(), st.just('r' * 600)))}  # fmt: skip
    if draw(st.booleans()) and isinstance(time, str):
        record['id'] = f'M#{serial}#{pin}#{time.replace(" ", "T")}'
    elif draw(st.booleans()):
        record['id'] = draw(st.one_of(st.none(), st.text(max_size=6), st.integers()))
    if record['kind'] == 'oplog':
        record['op_type'] = draw(_int)
    for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
        record.pop(key, None)
    return record


_line = st.one_of(
    _record().map(json.dumps),
    _record().map(lambda r: json.dumps(r, ensure_ascii=False)),
    st.text(max_size=20),
    st.sampled_from(['[]', '1', 'null', '{"v": 1}', '{']),
)


@settings(max_examples=800)
@given(st.integers(1, 10_000), _line, st.booleans())
def test_the_fast_parser_gives_what_the_plain_parser_gives(line_no: int, line: str, newline: bool) -> None:
    # Given any generated or edge upload line
    text = line + '\n' if newline else line
    # Then the fast parser's result (punch, event or reject with its reason) equals the plain parser's
    assert parse_line(line_no, text) == parse_line_plain(line_no, text)


def test_a_bridge_record_is_parsed_alike_and_an_odd_source_is_rejected_not_raised() -> None:
    # Given the record a bridge writes, and one whose source is a list
    record = {'v': 1, 'kind': 'punch', 'id': 'M#CK01#7#2026-01-05T07:41:10', 'serial': 'CK01', 'pin': '7',
              'time': '2026-01-05 07:41:10', 'status': 0, 'verify': 1, 'source': 'push', 'raw': '7\t...'}  # fmt: skip
    odd = {**record, 'source': ['push']}
    # Then both parsers give the same punch, and the odd one is a rejected line with its reason
    punch = parse_line(3, json.dumps(record))
    assert isinstance(punch, PunchLine) and punch == parse_line_plain(3, json.dumps(record))
    assert punch.punch_id == record['id']
    rejected = parse_line(4, json.dumps(odd))
    assert rejected == parse_line_plain(4, json.dumps(odd))
    assert getattr(rejected, 'reason', '') == "source must be one of ['pull', 'push', 'usb']"
