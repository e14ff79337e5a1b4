"""ATTLOG lines to columns at the speed of C: the batch engine under the bridge's and the cloud's parsers.

The same file lives in ``bridge/hadir_bridge/`` and ``chalicelib/domain/`` (the bridge and the Lambda are separate
packages; a test keeps the two copies identical). It holds no rule of its own: every verdict on a value comes from
the caller's careful per-field functions, asked once per distinct value, and every line the engine cannot vouch for
goes to the caller's careful per-line function. So the output is the careful parser's, only faster.

How a chunk of lines (about 64 KiB, each ending in LF) is read without a Python step per line:

- ``chunk.split('\\t')`` gives every field of every line in one list. When every line has the same number of
  fields (at least six), field ``i`` of every line sits at a fixed stride, and the last field of a line and the
  PIN of the next one share an element (``'0\\n1452'``). The list's length and the one LF in each shared element
  prove that every line has that number of fields.
- PINs, states, verify modes, work codes and dates repeat: each distinct value is judged once by the caller's rule
  (a column of one ASCII digit or letter per line is judged by joining it, without a set).
- Times (``YYYY-MM-DD hh:mm:ss``) are joined and checked as bytes: one ``translate`` against a template proves the
  shape and the ASCII digits, strided slices check the tens of hours, minutes and seconds, and the hours 24-29 are
  found by AND-ing two bit masks as integers. Each distinct date is found with ``find``/``count`` (a ``-`` can only
  sit inside a date) and judged once.

A chunk that fails any of these checks (an empty line, a value the rules reject, a CR inside a line, a bad date...)
is halved and each half tried the same way, down to a few lines, which the caller's careful function reads line by
line: one odd line slows only the few lines around it.

A chunk read whole keeps only its text: its columns (PINs, times, integers, raw lines) are split from it when first
asked for, each by one C-level ``split``, slice, ``map`` or ``translate``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from itertools import islice

CHUNK_CHARS = 1 << 16
MAX_DATES_PER_CHUNK = 16  # a chunk of a few thousand lines spans a few days; more goes line by line
MIN_LINES_TO_HALVE = 16

Row = tuple[str, str, int | None, int | None, str]

_TIME_TEMPLATE = b'0000-00-00 00:00:00|'
_SHAPE = bytes(
    ord('0') if byte in b'0123456789' else byte if byte in b'-: |' else ord('?') for byte in range(256)
)  # fmt: skip
_IS_TWO = bytes(1 if byte == ord('2') else 0 for byte in range(256))
_IS_FOUR_TO_NINE = bytes(1 if byte in b'456789' else 0 for byte in range(256))
_DIGIT_VALUE = bytes(byte - ord('0') if byte in b'0123456789' else 0 for byte in range(256))
_BAD = object()


class _Verdicts(dict[str, object]):
    """A caller's rule applied once per distinct value: the value it gives, or _BAD when it raises ValueError."""

    def __init__(self, rule: Callable[[str], object]) -> None:
        super().__init__()
        self.rule = rule
        self.good: set[str] = set()

    def __missing__(self, text: str) -> object:
        try:
            verdict = self.rule(text)
        except ValueError:
            verdict = _BAD
        else:
            self.good.add(text)
        self[text] = verdict
        return verdict

    def all_good(self, values: set[str]) -> bool:
        if values <= self.good:
            return True
        for value in values - self.keys():
            self[value]  # noqa: B018 (judges the value and keeps the verdict)
        return values <= self.good


def _one_char_each(column: list[str], joined: str) -> bool:
    """Each value one ASCII character: as many characters as values, and none empty (``['', '12']`` joins to two)."""
    return len(joined) == len(column) and '' not in column and joined.isascii()


class ColumnRun(ABC):
    """Consecutive punches of one chunk as columns (line numbers, PINs, times, states, verify modes, work codes,
    raw lines), in line order."""

    line_nos: Sequence[int]
    times: list[str]
    read_whole = False  # True when the chunk was read as columns, not line by line

    def __len__(self) -> int:
        return len(self.line_nos)

    @property
    @abstractmethod
    def pins(self) -> list[str]: ...

    @property
    @abstractmethod
    def statuses(self) -> list[int | None]: ...

    @property
    @abstractmethod
    def verifies(self) -> list[int | None]: ...

    @property
    @abstractmethod
    def workcodes(self) -> list[str]: ...

    @property
    @abstractmethod
    def raws(self) -> list[str]: ...


class _RowsRun(ColumnRun):
    """The punches of a chunk read line by line."""

    def __init__(self) -> None:
        self.line_nos: list[int] = []
        self._pins: list[str] = []
        self.times = []
        self._statuses: list[int | None] = []
        self._verifies: list[int | None] = []
        self._workcodes: list[str] = []
        self._raws: list[str] = []

    def add(self, line_no: int, row: Row, raw: str) -> None:
        self.line_nos.append(line_no)
        self._pins.append(row[0])
        self.times.append(row[1])
        self._statuses.append(row[2])
        self._verifies.append(row[3])
        self._workcodes.append(row[4])
        self._raws.append(raw)

    @property
    def pins(self) -> list[str]:
        return self._pins

    @property
    def statuses(self) -> list[int | None]:
        return self._statuses

    @property
    def verifies(self) -> list[int | None]:
        return self._verifies

    @property
    def workcodes(self) -> list[str]:
        return self._workcodes

    @property
    def raws(self) -> list[str]:
        return self._raws


class _ChunkRun(ColumnRun):
    """A chunk read whole, every line a punch. It keeps the chunk's text; its columns are split from it when first
    asked for."""

    read_whole = True

    def __init__(self, engine: AttlogColumns, chunk: str, first_line_no: int, count: int, stride: int) -> None:
        self.line_nos = range(first_line_no, first_line_no + count)
        self._engine, self._chunk, self._stride = engine, chunk, stride

    @cached_property
    def times(self) -> list[str]:  # type: ignore[override]
        return self._fields[1 :: self._stride]

    @cached_property
    def _fields(self) -> list[str]:
        return self._chunk.split('\t')

    @cached_property
    def pins(self) -> list[str]:
        pins = [self._engine.pins[self._fields[0]]]
        pins += map(self._engine.pins_after_newline.__getitem__, self._fields[self._stride : -1 : self._stride])
        return pins  # type: ignore[return-value]

    @cached_property
    def statuses(self) -> list[int | None]:
        return self._engine.integers(self._fields[2 :: self._stride])

    @cached_property
    def verifies(self) -> list[int | None]:
        return self._engine.integers(self._fields[3 :: self._stride])

    @cached_property
    def workcodes(self) -> list[str]:
        workcodes = self._fields[4 :: self._stride]
        joined = ''.join(workcodes)
        if _one_char_each(workcodes, joined) and joined.isalnum():
            return workcodes
        return list(map(self._engine.workcodes.__getitem__, workcodes))  # type: ignore[arg-type]

    @cached_property
    def raws(self) -> list[str]:
        return self._chunk.split('\n')[:-1]


class AttlogColumns:
    """Reads ATTLOG text (``PIN\\ttime\\tstatus\\tverify\\tworkcode...`` per line) into runs of columns.

    ``pin``, ``number``, ``workcode`` and ``date`` are the caller's field rules (each returns the value a careful
    parse gives, or raises ValueError); ``careful_line(line_no, line)`` returns the row of a line, or None when the
    line is not a punch (the caller keeps its reject). A chunk is the lines up to the first LF ``chunk_chars`` or
    more characters on (tests use small chunks to cross chunk edges often).
    """

    def __init__(
        self,
        *,
        pin: Callable[[str], str],
        number: Callable[[str], int | None],
        workcode: Callable[[str], str],
        date: Callable[[str], object],
        careful_line: Callable[[int, str], Row | None],
        chunk_chars: int = CHUNK_CHARS,
    ) -> None:
        self.pins = _Verdicts(pin)
        self.numbers = _Verdicts(number)
        self.workcodes = _Verdicts(workcode)
        self.dates = _Verdicts(date)
        self.pins_after_newline = _Verdicts(self._pin_after_newline)
        self._careful_line = careful_line
        self._chunk_chars = chunk_chars

    def read(
        self, text: str, first_line_no: int = 1, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, ColumnRun]]:
        """(lines read, their punches as a run) a chunk at a time, of ``text[start:end]`` (not copied whole); lines
        split on LF, a CR before it dropped."""
        position, end, line_no = start, len(text) if end is None else end, first_line_no
        while position < end:
            cut = text.find('\n', position + self._chunk_chars, end)
            if cut < 0:
                chunk = text[position:end] if text.endswith('\n', position, end) else text[position:end] + '\n'
                position = end
            else:
                chunk, position = text[position : cut + 1], cut + 1
            for count, run in self._runs(chunk, line_no):
                yield count, run
                line_no += count

    def _runs(self, chunk: str, line_no: int) -> Iterator[tuple[int, ColumnRun]]:
        """The chunk as one run read whole or, when it cannot be, as its two halves (each read the same way), down
        to a few lines read line by line: one odd line costs a few lines of careful reading, not a chunk's."""
        count = chunk.count('\n')
        normal = chunk.replace('\r\n', '\n') if '\r' in chunk else chunk
        stride = None if '\r' in normal else self._stride_when_all_good(normal, count)
        if stride is not None:
            yield count, _ChunkRun(self, normal, line_no, count, stride)
        elif count <= MIN_LINES_TO_HALVE:
            yield count, self._line_by_line(chunk, line_no)
        else:
            middle = chunk.find('\n', len(chunk) // 2)
            if middle == len(chunk) - 1:
                middle = chunk.rfind('\n', 0, middle)
            left = chunk[: middle + 1]
            yield from self._runs(left, line_no)
            yield from self._runs(chunk[middle + 1 :], line_no + left.count('\n'))

    def integers(self, column: list[str]) -> list[int | None]:
        joined = ''.join(column)
        if _one_char_each(column, joined) and joined.isdigit():
            return list(joined.encode('ascii').translate(_DIGIT_VALUE))
        return list(map(self.numbers.__getitem__, column))  # type: ignore[arg-type]

    def _line_by_line(self, chunk: str, first_line_no: int) -> ColumnRun:
        run = _RowsRun()
        for line_no, line in enumerate(chunk.split('\n')[:-1], start=first_line_no):
            line = line.rstrip('\r')
            row = self._careful_line(line_no, line)
            if row is not None:
                run.add(line_no, row, line)
        return run

    def _stride_when_all_good(self, chunk: str, count: int) -> int | None:
        """The number of tabs in each line of the chunk, when every line is a punch the rules accept as it is."""
        stride = chunk.count('\t', 0, chunk.find('\n'))
        if stride < 5:
            return None
        fields = chunk.split('\t')
        if len(fields) != stride * count + 1:
            return None
        last = fields[-1]
        if last.count('\n') != 1 or not last.endswith('\n'):
            return None
        # Between the first and the last, the last field of a line, LF and the PIN of the next line share an element
        shared = set(islice(fields, stride, len(fields) - 1, stride))
        if not self.pins_after_newline.all_good(shared) or not self.pins.all_good({fields[0]}):
            return None
        if not self._times_good(fields[1::stride]):
            return None
        for column in (fields[2::stride], fields[3::stride]):
            joined = ''.join(column)
            if not (_one_char_each(column, joined) and joined.isdigit()) and not self.numbers.all_good(set(column)):
                return None
        workcodes = fields[4::stride]
        joined = ''.join(workcodes)
        one_letter_each = _one_char_each(workcodes, joined) and joined.isalnum()
        if not one_letter_each and not self.workcodes.all_good(set(workcodes)):
            return None
        return stride

    def _pin_after_newline(self, shared: str) -> str:
        _, newline, pin = shared.partition('\n')
        verdict = self.pins[pin]
        if not newline or '\n' in pin or verdict is _BAD:
            raise ValueError('not one line end followed by a good PIN')
        return verdict  # type: ignore[return-value]

    def _times_good(self, times: list[str]) -> bool:
        """Whether every time is a good ``YYYY-MM-DD hh:mm:ss``."""
        count = len(times)
        joined = '|'.join(times) + '|'
        if len(joined) != 20 * count or not joined.isascii():
            return False
        data = joined.encode('ascii')
        if data.translate(_SHAPE) != _TIME_TEMPLATE * count:
            return False
        hour_tens, hour_units = data[11::20], data[12::20]
        if hour_tens.translate(None, b'012') or data[14::20].translate(None, b'012345'):
            return False
        if data[17::20].translate(None, b'012345'):
            return False
        if int.from_bytes(hour_tens.translate(_IS_TWO)) & int.from_bytes(hour_units.translate(_IS_FOUR_TO_NINE)):
            return False
        return self._dates_good(joined, count)

    def _dates_good(self, joined: str, count: int) -> bool:
        """Every date of the joined times (only a date holds ``-``) is one the caller's rule accepts."""
        rest, left = joined, count
        for _ in range(MAX_DATES_PER_CHUNK):
            dash = rest.find('-')
            date = rest[dash - 4 : dash + 6]
            if not self.dates.all_good({date}):
                return False
            left -= rest.count(date)
            if left == 0:
                return True
            rest = rest.replace(date, '')
        return False
