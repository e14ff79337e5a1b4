"""Seeded random bodies against the plain parsers: mostly plain ATTLOG lines (so chunks are read whole as columns)
with lines of random fields and characters among them (so chunks are halved and read line by line), read by the
bridge (parse_attlog_batch), by the cloud as a version 2 upload (parse_upload) and as version 1 lines."""

from __future__ import annotations

import random

import pytest
from hadir_bridge.parsers import parse_attlog_batch, parse_attlog_plain

from chalicelib.domain.machine_logs import UPLOAD_HEADER, parse_line_plain, parse_upload, parse_upload_plain

ODD_CHARACTERS = 'AZaz09 \t\r-:|@{}\x00\ufeff٣１é\x0b\x1c\x85\u2028'
SECTIONS = ['@\tCK01\tpush', '@\tCK01\tusb', '@\t\t', '@\tX\tbad', '@', '@\t' + 'S' * 70 + '\tpull']


def _plain_line(rng: random.Random) -> str:
    year = rng.choice([2026, 2026, 2024, 2000, 1900, 2100, 999])
    month, day = rng.randint(1, 12), rng.randint(1, 31 if rng.random() < 0.1 else 28)
    hour = rng.randint(0, 29 if rng.random() < 0.05 else 23)
    status = rng.choice(['0', '1', '4', '255', '', '007', '-1'])
    verify = rng.choice(['1', '15', '', '4'])
    workcode = rng.choice(['0', '0', '', '12', 'A', ' 3'])
    pin = rng.choice([str(rng.randint(1, 3000)), str(rng.randint(1, 3000)), ' 17', 'A9'])
    tail = rng.choice(['\t0\t0', '\t0\t0', '\t0', '\t0\t0\t0'])
    return f'{pin}\t{year:04d}-{month:02d}-{day:02d} {hour:02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}' + (
        f'\t{status}\t{verify}\t{workcode}{tail}'
    )


def _odd_line(rng: random.Random) -> str:
    fields = _plain_line(rng).split('\t')
    spot = rng.randrange(len(fields) + 1)
    noise = ''.join(rng.choice(ODD_CHARACTERS) for _ in range(rng.randint(0, 6)))
    if spot == len(fields):
        return '\t'.join(fields[: rng.randint(0, len(fields))]) + noise
    fields[spot] = noise if rng.random() < 0.5 else fields[spot] + noise
    return '\t'.join(fields)


def _lines(rng: random.Random) -> list[str]:
    odd_share = rng.choice([0.0, 0.01, 0.05, 0.3])
    return [_odd_line(rng) if rng.random() < odd_share else _plain_line(rng) for _ in range(rng.randint(1, 300))]


@pytest.mark.parametrize('seed', range(8))
def test_random_bodies_give_what_the_plain_parsers_give(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        # Given a body of mostly plain lines and some random ones, with LF or CRLF, cut into chunks of some size
        lines = _lines(rng)
        newline = rng.choice(['\n', '\r\n'])
        body = newline.join(lines) + rng.choice(['', newline])
        chunk_chars = rng.choice([1, 100, 700, 4000, 65536])
        # Then the bridge's batch reader gives the plain parser's punches and rejects
        batch = parse_attlog_batch('CK01', body, chunk_chars=chunk_chars)
        assert (batch.punches(), batch.rejected) == parse_attlog_plain('CK01', body)
        # and the cloud reads the lines in a version 2 body (with section and JSON lines among them) as the plain
        # reading does, and in a version 1 body as parse_line does line by line
        v2 = [UPLOAD_HEADER, rng.choice(SECTIONS)]
        v2 += [rng.choice(SECTIONS) if rng.random() < 0.01 else line for line in lines]
        upload = newline.join(v2) + newline
        assert list(parse_upload(upload, chunk_chars=chunk_chars).lines()) == parse_upload_plain(upload)
        v1 = '\n'.join(lines)
        expected = [parse_line_plain(n, line) for n, line in enumerate(v1.splitlines(), start=1) if line.strip()]
        assert list(parse_upload(v1).lines()) == expected
