"""The book of published profiles: supersession windows, the shipped default's share, publication checks."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.defaults import default_profile
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.domain.tpp.profile_book import (
    days_priced_anew,
    in_force_book,
    publication_issues,
    window,
    with_shipped_default,
)

PNS, PPPK = EmployeeType.PNS, EmployeeType.PPPK
DEFAULT = default_profile()


def version(n: int, start: str, profile_id: str = 'kab-asn', **changes: Any) -> RuleProfile:
    return DEFAULT.model_copy(
        update={'profile_id': profile_id, 'version': n, 'effective_from': date.fromisoformat(start), **changes}
    )


def windows(book: tuple[RuleProfile, ...]) -> list[tuple[str, int, dict[str, str | None]]]:
    return [(p.profile_id, p.version, window(p)) for p in book]


def test_each_version_prices_until_the_next_one_starts() -> None:
    # Given v1 from January, v2 from March ending in June, v3 from July
    book = in_force_book([version(3, '2026-07-01'), version(1, '2026-01-01'),
                          version(2, '2026-03-01', effective_to=date(2026, 6, 30))])  # fmt: skip
    # Then each ends the day before its successor starts, or at its own end if earlier
    assert windows(book) == [
        ('kab-asn', 1, {'from': '2026-01-01', 'to': '2026-02-28'}),
        ('kab-asn', 2, {'from': '2026-03-01', 'to': '2026-06-30'}),
        ('kab-asn', 3, {'from': '2026-07-01', 'to': None}),
    ]


def test_a_version_replaced_from_its_first_day_prices_nothing_and_v1_does_not_come_back() -> None:
    # Given v2 from March corrected by v3 from March, and v3 ending in December
    book = in_force_book([version(1, '2026-01-01'), version(2, '2026-03-01'),
                          version(3, '2026-03-01', effective_to=date(2026, 12, 31))])  # fmt: skip
    # Then v2 is gone, and after v3 ends no version prices PNS: v1 stays superseded
    assert [p.version for p in book] == [1, 3]
    assert profile_in_force(book, PNS, date(2027, 1, 4)) is None


def test_the_shipped_default_is_unchanged_when_the_pemda_published_nothing() -> None:
    assert with_shipped_default((), DEFAULT) == (DEFAULT,)


def test_the_shipped_default_prices_each_type_until_the_pemdas_first_own_profile_for_it() -> None:
    # Given the pemda's PNS-only profile from 2026
    pns = version(1, '2026-01-01', employee_types=(PNS,))
    book = with_shipped_default((pns,), DEFAULT)
    # Then the default prices PNS up to 2025 and PPPK for good
    assert profile_in_force(book, PNS, date(2025, 12, 31)) == DEFAULT.model_copy(
        update={'employee_types': (PNS,), 'effective_to': date(2025, 12, 31)}
    )
    assert profile_in_force(book, PNS, date(2026, 1, 1)) is pns
    assert profile_in_force(book, PPPK, date(2030, 1, 1)).profile_id == DEFAULT.profile_id  # type: ignore[union-attr]
    # And a pemda profile from before the default's own start leaves the default nothing
    early = with_shipped_default((version(1, '2020-01-01'),), DEFAULT)
    assert [p.profile_id for p in early] == ['kab-asn']


def test_a_new_version_may_not_start_before_the_one_it_supersedes_and_must_be_the_next() -> None:
    published = [version(1, '2026-01-01'), version(2, '2026-03-01')]
    assert publication_issues(version(3, '2026-03-01'), published) == ()
    issues = {i.path: i.message for i in publication_issues(version(4, '2026-02-01'), published)}
    assert issues == {
        'version': 'the next version of kab-asn is 3',
        'effective_from': (
            'must not be before 2026-03-01, the effective_from of kab-asn v2 that this version supersedes'
        ),
    }


def test_two_profiles_may_share_a_type_only_on_days_apart() -> None:
    # Given kab-asn v1 open-ended, then v2 ending in June
    published = [version(1, '2026-01-01')]
    candidate = version(1, '2026-07-01', profile_id='kab-pns', employee_types=(PNS,))
    [issue] = publication_issues(candidate, published)
    assert issue.path == 'employee_types' and issue.message.startswith('PNS already priced by kab-asn v1 (from')
    ended = [*published, version(2, '2026-01-01', effective_to=date(2026, 6, 30))]
    assert publication_issues(candidate, ended) == ()


def test_the_days_to_re_close_start_at_the_latest_of_effective_from_first_close_and_the_bound() -> None:
    yesterday = date(2026, 11, 30)
    profile = version(1, '2026-11-01')
    assert days_priced_anew(profile, yesterday, None, 400) == []
    assert len(days_priced_anew(profile, yesterday, date(2025, 1, 1), 400)) == 30
    assert days_priced_anew(profile, yesterday, date(2026, 11, 29), 400) == [date(2026, 11, 29), yesterday]
    assert days_priced_anew(version(1, '2020-01-01'), yesterday, date(2020, 1, 1), 10)[0] == date(2026, 11, 21)
    assert days_priced_anew(version(1, '2026-12-01'), yesterday, date(2025, 1, 1), 400) == []
