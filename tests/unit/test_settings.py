"""Settings come from HADIR_* variables, validated from their text."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from chalicelib.settings import Settings


def test_each_setting_is_read_from_its_variable_as_its_type() -> None:
    environ = {
        'HADIR_STAGE': 'prod',
        'HADIR_MAX_PAGE_SIZE': '200',
        'HADIR_FACE_MATCH_THRESHOLD': '96.5',
        'HADIR_LIVENESS_REQUIRED': 'false',
        'HADIR_EARLIEST_PUNCH_DATE': '2024-01-01',
        'hadir_bucket_suffix': '123456789012',  # any case, as Lambda and shells may spell it
        'HADIR_NOT_A_SETTING': 'ignored',
        'PATH': '/usr/bin',
    }

    settings = Settings.from_environment(environ)

    assert settings.stage == 'prod'
    assert settings.max_page_size == 200
    assert settings.face_match_threshold == 96.5
    assert settings.liveness_required is False
    assert settings.earliest_punch_date == date(2024, 1, 1)
    assert settings.bucket(purpose='media').endswith('123456789012')
    assert settings.default_page_size == 50  # unset: the default


def test_overrides_win_over_the_environment() -> None:
    settings = Settings.from_environment({'HADIR_STAGE': 'prod'}, stage='dev')

    assert settings.stage == 'dev'


@pytest.mark.parametrize(
    ('name', 'value', 'field'),
    [
        ('HADIR_MAX_PAGE_SIZE', 'lots', 'max_page_size'),
        ('HADIR_MAX_PAGE_SIZE', '0', 'max_page_size'),
        ('HADIR_FACE_MATCH_THRESHOLD', '101', 'face_match_threshold'),
        ('HADIR_LIVENESS_REQUIRED', 'perhaps', 'liveness_required'),
        ('HADIR_EARLIEST_PUNCH_DATE', '2024-13-01', 'earliest_punch_date'),
    ],
)
def test_a_bad_value_names_the_setting(name: str, value: str, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings.from_environment({name: value})

    assert [error['loc'] for error in raised.value.errors()] == [(field,)]
