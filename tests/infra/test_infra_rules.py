"""The pure rules of infra/ (no synthesis): zone shifts of schedules, stage parameters, the wildcard list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.stacks.config import STAGE_DEFAULTS, StageConfig, stage_configs
from infra.stacks.cron import shift_cron, shift_schedule
from infra.stacks.wildcards import flatten, justify, wildcard_findings


def _context(values: dict[str, str]) -> Callable[[str], Any]:
    return values.get


@pytest.mark.parametrize(
    ('expression', 'hours', 'expected'),
    [
        ('30 17 * * ? *', 0, '30 17 * * ? *'),
        ('30 17 * * ? *', -1, '30 16 * * ? *'),  # WITA: 00:30 local is 16:30 UTC
        ('30 17 * * ? *', -2, '30 15 * * ? *'),  # WIT
        ('0 1 * * ? *', -2, '0 23 * * ? *'),  # daily: wrapping past midnight is fine
        ('0 0,12 * * ? *', -1, '0 11,23 * * ? *'),
        ('0/15 * * * ? *', -2, '0/15 * * * ? *'),  # every hour: nothing to shift
    ],
)
def test_shifts_wib_cron_to_the_pemda_zone(expression: str, hours: int, expected: str) -> None:
    assert shift_cron(expression, hours) == expected


def test_refuses_a_shift_that_would_move_a_named_day() -> None:
    # Given a monthly job at 01:00 UTC on day 1, when shifted two hours back it would run on another day
    with pytest.raises(ValueError, match='crosses midnight'):
        shift_cron('0 1 1 * ? *', -2)


def test_refuses_hour_ranges_it_cannot_shift_exactly() -> None:
    with pytest.raises(ValueError, match='plain hours'):
        shift_cron('0 8-17 ? * MON-FRI *', -1)


def test_leaves_rate_schedules_alone() -> None:
    assert shift_schedule('rate(5 minutes)', -2) == 'rate(5 minutes)'
    assert shift_schedule('cron(30 17 * * ? *)', -1) == 'cron(30 16 * * ? *)'


def test_zone_shift_follows_the_utc_offset() -> None:
    assert StageConfig(stage='dev', zone='Asia/Jakarta').zone_shift_hours == 0
    assert StageConfig(stage='dev', zone='Asia/Makassar').zone_shift_hours == -1
    assert StageConfig(stage='dev', zone='Asia/Jayapura').zone_shift_hours == -2


def test_synthesises_every_stage_unless_one_is_named() -> None:
    assert [c.stage for c in stage_configs(_context({}))] == ['dev', 'prod']
    assert [c.stage for c in stage_configs(_context({'stage': 'prod'}))] == ['prod']


def test_context_parameters_reach_the_stage_config() -> None:
    # Given a pemda in WITA with its own alarm address and account
    context = {
        'stage': 'prod',
        'pemda': 'Kota Contoh',
        'zone': 'Asia/Makassar',
        'alarm_email': 'ops@contoh.go.id',
        'account': '210987654321',
        'web_dir': '/srv/web',
    }
    # When the stage configs are read
    (config,) = stage_configs(_context(context))
    # Then prod keeps its defaults and takes the parameters
    assert (config.pemda, config.zone, config.alarm_email, config.account) == (
        'Kota Contoh',
        'Asia/Makassar',
        'ops@contoh.go.id',
        '210987654321',
    )
    assert config.web_dir == Path('/srv/web')
    assert config.retain_data is STAGE_DEFAULTS['prod'].retain_data is True


@pytest.mark.parametrize(
    ('key', 'value', 'message'),
    [
        ('stage', 'staging', 'unknown stage'),
        ('zone', 'Asia/Singapore', 'unknown zone'),
        ('alarm_email', 'not-an-address', 'not an e-mail'),
        ('account', '1234', '12-digit'),
        ('rekognition_region', 'ap-southeast-3', 'not offered'),
        ('pemda', 'Kab. <script>', 'must be'),
    ],
)
def test_rejects_bad_parameters(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stage_configs(_context({key: value}))


def test_flattens_intrinsics_as_cdk_nag_does() -> None:
    value = {'Fn::Join': ['', ['arn:', {'Ref': 'AWS::Partition'}, ':s3:::b/', {'Fn::GetAtt': ['Key', 'Arn']}]]}
    assert flatten(value) == 'arn:<AWS::Partition>:s3:::b/<Key.Arn>'
    assert flatten({'Fn::Sub': 'arn:${AWS::Partition}:sqs'}) == 'arn:<AWS::Partition>:sqs'


def test_justifies_only_listed_wildcards() -> None:
    xray = {'Effect': 'Allow', 'Action': ['xray:PutTraceSegments'], 'Resource': '*'}
    sneaky = {'Effect': 'Allow', 'Action': ['xray:PutTraceSegments', 's3:PutObject'], 'Resource': '*'}
    everything = {'Effect': 'Allow', 'Action': 's3:*', 'Resource': 'arn:aws:s3:::hadir-dev-media-local/*'}
    denied = {'Effect': 'Deny', 'Action': 's3:*', 'Resource': '*'}
    findings = list(wildcard_findings({'Statement': [xray, sneaky, everything, denied]}))
    assert [bool(f.justified_by) for f in findings] == [True, False, False]


def test_key_policy_wildcards_are_justified_only_in_key_policies() -> None:
    root = {'Effect': 'Allow', 'Action': 'kms:*', 'Resource': '*'}
    assert justify('key', ['kms:*'], ['*'])
    assert not next(wildcard_findings({'Statement': [root]}, kind='identity')).justified_by


def test_waf_exempts_exactly_the_routes_the_app_lets_send_large_bodies() -> None:
    # Given the app's route registry (routing.py allows max_import_body_bytes to non-JSON bodies)
    import app  # noqa: F401  - registers every Blueprint's routes
    from chalicelib.api.routing import JSON, REGISTRY
    from infra.stacks.config import IMPORT_PATHS, LARGE_JSON_PATHS

    # Then WAF's 64 KB JSON limit skips exactly those routes and the ones that carry large JSON (selfies, lists)
    assert {spec.path for spec in REGISTRY if spec.body_types != (JSON,)} == set(IMPORT_PATHS)
    assert {spec.path for spec in REGISTRY if spec.max_body_bytes} == set(LARGE_JSON_PATHS)


def test_face_check_concurrency_stays_within_what_an_sqs_event_source_allows() -> None:
    # SQS event sources take a maximum concurrency of 2 to 1000; below 2 only reserved concurrency would do
    assert StageConfig(stage='dev').validate().face_check_max_concurrency == 2
    with pytest.raises(ValueError, match='face_check_max_concurrency'):
        StageConfig(stage='dev', face_check_max_concurrency=1).validate()


def test_functions_send_only_to_queues_the_app_declares() -> None:
    from chalicelib import resource_names as names
    from infra.stacks.access import API, PROFILES

    # The local stack creates names.QUEUES too, so a sender never targets a queue only the cloud has
    for profile in (API, *PROFILES.values()):
        assert set(profile.sends) <= set(names.QUEUES)
