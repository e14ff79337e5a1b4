import json
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.machine_logs import EventLine, PunchLine, RejectedLine, implausible_time, parse_line

GOOD = {'v': 1, 'kind': 'punch', 'id': 'M#SN1#7#2026-11-20T07:41:10', 'serial': 'SN1', 'pin': '7',
        'time': '2026-11-20 07:41:10', 'status': 0, 'verify': 1, 'source': 'push',
        'raw': '7\t2026-11-20 07:41:10'}  # fmt: skip


def test_a_punch_record_keeps_the_machine_wall_clock_time() -> None:
    parsed = parse_line(1, json.dumps(GOOD))
    assert isinstance(parsed, PunchLine)
    assert parsed.local_time == datetime(2026, 11, 20, 7, 41, 10) and parsed.local_time.tzinfo is None
    assert parsed.punch_id == GOOD['id']


def test_a_record_whose_id_does_not_match_its_fields_is_rejected() -> None:
    parsed = parse_line(3, json.dumps({**GOOD, 'id': 'M#SN1#8#2026-11-20T07:41:10'}))
    assert isinstance(parsed, RejectedLine) and parsed.line_no == 3 and 'does not match' in parsed.reason


def test_field_errors_name_the_field() -> None:
    cases = {'time': '20/11/2026 07:41', 'source': 'fax', 'pin': '', 'status': 'zero', 'v': 2, 'kind': 'photo'}
    for field, value in cases.items():
        parsed = parse_line(1, json.dumps({**GOOD, field: value}))
        assert isinstance(parsed, RejectedLine), field


def test_an_operlog_record_set_time_is_flagged() -> None:
    record = {'v': 1, 'kind': 'oplog', 'id': 'O#SN1#21', 'serial': 'SN1', 'op_type': 21, 'time': '2026-11-20 09:00:00'}
    parsed = parse_line(1, json.dumps(record))
    assert isinstance(parsed, EventLine) and parsed.flag == 'machine clock set by hand'


@given(st.text(max_size=200))
def test_any_line_parses_or_is_rejected_never_raises(line: str) -> None:
    assert isinstance(parse_line(1, line), PunchLine | EventLine | RejectedLine)


def test_reset_clocks_and_far_future_times_are_implausible() -> None:
    received = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    ahead, earliest = timedelta(hours=24), date(2020, 1, 1)
    assert 'impossible date' in str(implausible_time(datetime(2000, 1, 1), 'Asia/Jakarta', received,
                                                     max_ahead=ahead, earliest=earliest))  # fmt: skip
    assert implausible_time(datetime(2026, 11, 22, 9, 0), 'Asia/Jakarta', received, max_ahead=ahead, earliest=earliest)
    # 09:00 WIT is 00:00 UTC, one hour before the upload: plausible
    assert implausible_time(datetime(2026, 11, 20, 9, 0), 'Asia/Jayapura', received, max_ahead=ahead,
                            earliest=earliest) is None  # fmt: skip
