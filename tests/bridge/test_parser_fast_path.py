"""parse_attlog's fast path against the plain parser (parse_attlog_plain): the same punches and the same rejects
with the same reasons, on generated ATTLOG lines and on lines built to sit at the edge of each rule."""

from __future__ import annotations

from hadir_bridge.parsers import parse_attlog, parse_attlog_plain
from hypothesis import given, settings
from hypothesis import strategies as st

SN = 'CKJX201960001'

_digits = st.text(alphabet='0123456789', min_size=1, max_size=3)
_two = st.one_of(st.integers(0, 99).map(lambda n: f'{n:02d}'), st.sampled_from(['0', '7', '60', '61', '24', '99']))
_date = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)).map(
        lambda t: f'{t[0]:04d}-{t[1]:02d}-{t[2]:02d}'
    ),
    st.sampled_from(['2026-02-29', '2024-02-29', '2026-1-05', '٢٠٢٦-01-05', '2026/01/05', '0000-01-01', '2026-01-05 ']),
)
_time = st.one_of(
    st.tuples(_date, _two, _two, _two).map(lambda t: f'{t[0]} {t[1]}:{t[2]}:{t[3]}'),
    st.sampled_from(
        [
            '2026-01-05T07:00:00',
            '2026-01-05  07:00:00',
            ' 2026-01-05 07:00:00',
            '2026-01-05 07:00:00\n',
            '2026-01-05 7:00:00',
            '2026-01-05 07:00:0٣',
            '',
        ]
    ),
)
_pin = st.one_of(
    st.text(alphabet='ABCxyz0123456789', min_size=1, max_size=26),
    st.sampled_from(['', ' 17', '17 ', '1-2', 'é', '１７', 'A' * 24, 'A' * 25]),
)
_int_field = st.one_of(
    st.integers(-2000, 2000).map(str),
    _digits,
    st.sampled_from(['', ' ', ' 1', '1 ', '-0', '+1', '007', '1.0', 'x', '٣']),
)
_line = st.one_of(
    st.tuples(_pin, _time, st.lists(_int_field, max_size=2), st.lists(st.text(max_size=4), max_size=3)).map(
        lambda t: '\t'.join([t[0], t[1], *t[2], *t[3]])
    ),
    st.text(alphabet=' \t\rAB12-:', max_size=12),
    st.text(max_size=30),
)


@settings(max_examples=600)
@given(st.lists(_line, max_size=12), st.sampled_from(['\n', '\r\n']))
def test_the_fast_parser_gives_what_the_plain_parser_gives(lines: list[str], newline: str) -> None:
    # Given any body of generated and edge lines
    body = newline.join(line.replace('\n', '') for line in lines)
    # Then the fast parser's punches and rejects (with reasons) equal the plain parser's
    assert parse_attlog(SN, body) == parse_attlog_plain(SN, body)


def test_plain_lines_take_the_fast_path_and_odd_ones_the_plain_rules() -> None:
    # Given a plain line, a padded PIN, a leap day, a 24th hour, a Unicode digit and a blank line
    body = '\n'.join([
        '1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0',
        ' 17 \t2024-02-29 07:00:00\t1',
        '9\t2026-02-29 07:00:00',
        '9\t2026-01-05 24:00:00',
        '9\t2026-01-05 07:00:0٣',
        ' \t ',
    ])  # fmt: skip
    # Then both parsers agree line by line
    punches, rejected = parse_attlog(SN, body)
    assert (punches, rejected) == parse_attlog_plain(SN, body)
    # (the plain rules take a Unicode digit as a digit, as re's \\d and strptime do: the fast path leaves it to them)
    assert [(p.pin, p.time[-2:]) for p in punches] == [('1452', '28'), ('17', '00'), ('9', '0٣')]
    assert [r.line_no for r in rejected] == [3, 4, 6]
