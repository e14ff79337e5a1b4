from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from chalicelib.domain.tpp.day import ApprovedStatus, Outage
from chalicelib.domain.tpp.month import MonthFlags
from chalicelib.domain.tpp.pipeline import close_employee_month
from tests.unit.tpp.support import CALENDAR, JANUARY, PROFILE, WEEKLY, Payee, at, variant


def january_punches() -> list[datetime]:
    # on time every working day (16:35 clears Friday's 16:30 jam pulang)
    return [p for s in JANUARY for p in (at(s.local_date, '07:20'), at(s.local_date, '16:35'))]


def test_a_month_end_to_end() -> None:
    # Given on-time punches, except 12 January (45 min late → TL2 1 %), CAP on 19–22 January, an outage on 26
    # under the FORGIVE policy (OUT whatever the records)
    punches = [p for p in january_punches() if p != at(date(2026, 1, 12), '07:20')]
    punches.append(at(date(2026, 1, 12), '08:15'))
    statuses = {date(2026, 1, d): ApprovedStatus(code='CAP') for d in (19, 20, 21, 22)}
    outages = {date(2026, 1, 26): Outage(opd_id='DISKOMINFO', local_date=date(2026, 1, 26))}
    # When the month is closed
    days, month = close_employee_month(
        Payee(), WEEKLY, CALENDAR, date(2026, 1, 1), date(2026, 1, 31), punches, statuses, outages,
        Decimal('90'), MonthFlags(), variant(PROFILE, outage__policy='FORGIVE'),
    )  # fmt: skip
    # Then CAP is free on the 19th and 20th, 2,5 % on the 21st and 22nd; 1 % + 5 % = 6 % × 2.000.000 = 120.000
    assert [d.deduction for d in days if d.status_code == 'CAP'] == [0, 0, 250, 250]
    assert (month.deduction, month.rincian) == (120_000, 'TL2×1, OUT×1, CAP×4')
    # 3.000.000 × 90 % = 2.700.000; + 1.880.000 = 4.580.000
    assert month.tpp_bruto == 4_580_000


def test_a_night_shift_takes_its_next_morning_punch() -> None:
    from tests.unit.tpp.test_day import NIGHT

    punches = [at(date(2026, 1, 5), '20:55'), at(date(2026, 1, 6), '07:01')]
    days, _ = close_employee_month(
        Payee(), NIGHT, CALENDAR, date(2026, 1, 5), date(2026, 1, 6), punches, {}, {}, Decimal(100), MonthFlags(),
        PROFILE,
    )  # fmt: skip
    assert [(d.local_date, d.codes, d.last_out) for d in days] == [
        (date(2026, 1, 5), ('H',), datetime(2026, 1, 6, 7, 1)),
    ]


def test_closing_twice_gives_the_same_answer() -> None:
    def close() -> object:
        return close_employee_month(
            Payee(), WEEKLY, CALENDAR, date(2026, 1, 1), date(2026, 1, 31), january_punches()[::3], {}, {},
            Decimal('77.77'), MonthFlags(), PROFILE,
        )  # fmt: skip

    assert close() == close()
