"""parse_attlog and its batch reader (parse_attlog_batch) against the plain parser (parse_attlog_plain): the same
punches and the same rejects with the same reasons, on generated ATTLOG lines and on lines built to sit at the edge
of each rule, read whole as columns or line by line."""

from __future__ import annotations

from hadir_bridge.parsers import AttlogBatch, Punch, Rejected, parse_attlog, parse_attlog_batch, parse_attlog_plain
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


# --- the batch reader (attlog_columns.py): whole chunks as columns, odd chunks line by line -------------------

_good_line = st.builds(
    lambda pin, day, seconds, status, verify, workcode: (
        f'{pin}\t{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'
        f'\t{status}\t{verify}\t{workcode}\t0\t0'
    ),
    st.text(alphabet='ABCxyz0123456789', min_size=1, max_size=24),
    st.dates(),
    st.integers(0, 86399),
    st.sampled_from(['0', '1', '4', '5', '255', '']),
    st.sampled_from(['1', '4', '15', '']),
    st.sampled_from(['0', '0', '', '12', 'A']),
)
_odd_field = st.sampled_from(
    ['', ' ', '\t', '  1', '1 ', '-0', '+1', '007', '1234567', '٣', '１', 'x', '\x00', '\ufeff1', 'é', 'x' * 3000]
)
_odd_time = st.sampled_from(
    [
        '2026-02-30 07:00:00', '2026-02-29 07:00:00', '2024-02-29 23:59:59', '2100-02-29 00:00:00',
        '2000-02-29 00:00:00', '2026-04-31 07:00:00', '2026-13-01 07:00:00', '2026-00-10 07:00:00',
        '2026-01-00 07:00:00', '0000-01-01 07:00:00', '0999-12-31 07:00:00', '2026-01-05 24:00:00',
        '2026-01-05 23:60:00', '2026-01-05 23:59:60', '2026-01-05 29:00:00', '2026-01-05 30:00:00',
        '2026-01-05 07:00:0٣', '٢٠٢٦-01-05 07:00:00', '2026-01-05T07:00:00', '2026-01-05  07:00:00',
        ' 2026-01-05 07:00:00', '2026-01-05 07:00:00 ', '2026-1-05 07:00:00', '2026-01-05 7:00:00',
        '2026-01-05 07:00:00\x00', '2026/01/05 07:00:00', '2026-01-05-07:00:00', '',
    ]
)  # fmt: skip


@st.composite
def _odd_line(draw: st.DrawFn) -> str:
    fields = draw(_good_line).split('\t')
    spot = draw(st.integers(0, 7))
    if spot == 1:
        fields[1] = draw(_odd_time)
    elif spot == 7:
        fields = fields[: draw(st.integers(1, 6))] + draw(st.lists(_odd_field, max_size=3))
    else:
        fields[spot] = draw(_odd_field)
    line = '\t'.join(fields)
    return draw(st.sampled_from([line, line, '\ufeff' + line, line + '\r', ' ' + line, line.replace('\t', ' ', 1)]))


_body_lines = st.lists(
    st.one_of(_good_line, _good_line, _good_line, _odd_line(), st.sampled_from(['', ' ', '\t', '\x00', '\r'])),
    min_size=1,
    max_size=40,
)


@settings(max_examples=400)
@given(_body_lines, st.sampled_from(['\n', '\r\n']), st.sampled_from([1, 60, 400, 65536]), st.booleans())
def test_the_batch_reader_gives_what_the_plain_parser_gives(
    lines: list[str], newline: str, chunk_chars: int, last_newline: bool
) -> None:
    # Given a body of plain lines and odd ones (bad dates, 24:00, Feb 30, Unicode digits, spaces for tabs, empty
    # and very long fields, CR, BOM, NUL), cut into chunks of many sizes
    body = newline.join(lines) + (newline if last_newline else '')
    # When it is read as columns
    batch = parse_attlog_batch(SN, body, chunk_chars=chunk_chars)
    # Then its punches and rejects (with reasons and line numbers) are the plain parser's
    assert (batch.punches(), batch.rejected) == parse_attlog_plain(SN, body)
    assert len(batch) == len(batch.punches())


def _one_line_each(lines: list[str]) -> tuple[AttlogBatch, list[Punch], list[Rejected]]:
    body = '\n'.join(lines) + '\n'
    return parse_attlog_batch(SN, body, chunk_chars=1), *parse_attlog_plain(SN, body)


def test_every_time_of_day_is_judged_alone_as_the_plain_parser_judges_it() -> None:
    # Given one line per chunk, for every two-digit hour and edge minutes and seconds
    lines = [
        f'7\t2026-01-05 {hour:02d}:{minute}:{second}\t0\t1\t0\t0\t0'
        for hour in range(100)
        for minute in ('00', '09', '59', '60', '99')
        for second in ('00', '59', '60', '61')
    ]
    batch, punches, rejected = _one_line_each(lines)
    # Then each line read as columns gets the plain verdict, and the good ones were read as columns
    assert (batch.punches(), batch.rejected) == (punches, rejected)
    assert len(punches) == 24 * 3 * 2
    assert sum(len(run) for run in batch.runs if run.read_whole) == len(punches)


def test_every_month_and_day_is_judged_alone_as_the_plain_parser_judges_it() -> None:
    # Given one line per chunk, for every month 00-13 and day 00-32 of leap, common and century years
    lines = [
        f'7\t{year:04d}-{month:02d}-{day:02d} 07:00:00\t0\t1\t0\t0\t0'
        for year in (0, 1, 999, 1000, 1900, 2000, 2024, 2025, 2026, 2100, 2400, 9999)
        for month in range(14)
        for day in range(33)
    ]
    batch, punches, rejected = _one_line_each(lines)
    # Then the calendar verdicts are the plain parser's, line by line
    assert (batch.punches(), batch.rejected) == (punches, rejected)
    assert len(punches) == 11 * 365 + 3  # year 0000 is no date; 2000, 2024 and 2400 have a 29 February
    assert sum(len(run) for run in batch.runs if run.read_whole) == len(punches)


def test_a_plain_body_is_read_whole_and_one_odd_line_only_slows_the_lines_around_it() -> None:
    # Given 2,000 plain lines with one Feb 30 in the middle, read in chunks of about 4 KiB
    lines = [
        f'{n % 300 + 1}\t2026-01-05 {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}\t0\t1\t0\t0\t0' for n in range(2000)
    ]
    lines[1000] = '9\t2026-02-30 07:00:00\t0\t1\t0\t0\t0'
    batch = parse_attlog_batch(SN, '\n'.join(lines), chunk_chars=4096)
    # Then only a few lines around it are read line by line (its chunk is halved until they are), and the result
    # is the plain parser's
    careful = [run for run in batch.runs if not run.read_whole]
    assert len(careful) == 1 and careful[0].line_nos[0] < 1001 < careful[0].line_nos[-1]
    assert len(careful[0]) < 16 and sum(len(run) for run in batch.runs if run.read_whole) > 1980
    assert (batch.punches(), batch.rejected) == parse_attlog_plain(SN, '\n'.join(lines))
    assert [r.line_no for r in batch.rejected] == [1001]


def test_a_column_of_empty_and_longer_values_is_not_taken_for_one_character_each() -> None:
    # Given a chunk whose states, verify modes and work codes are empty on one line and two characters on the other
    # (as many characters as lines, as if each held one)
    body = '7\t2026-01-05 07:00:00\t\t\t\t0\t0\n8\t2026-01-05 07:00:01\t12\t15\t12\t0\t0\n'
    # Then the batch reader gives the plain parser's values: null and '0' for the empty ones, 12, 15 and '12'
    batch = parse_attlog_batch(SN, body)
    assert all(run.read_whole for run in batch.runs)
    assert (batch.punches(), batch.rejected) == parse_attlog_plain(SN, body)
    assert [(p.status, p.verify, p.workcode) for p in batch.punches()] == [(None, None, '0'), (12, 15, '12')]
