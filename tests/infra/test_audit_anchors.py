"""The audit chain's anchors in the synthesised templates: a write-once Object Lock bucket, the hourly job that
writes to it, and grants that reach only its prefix (docs/audit.md)."""

from __future__ import annotations

from chalicelib import resource_names as names
from infra.stacks.config import STAGE_DEFAULTS
from infra.stacks.cron import shift_schedule
from tests.infra.conftest import ACCOUNT
from tests.infra.test_template import (
    READ,
    Template,
    _bucket,
    _bucket_policy_statements,
    _indexes,
    as_list,
    by_name,
    flat,
    functions,
    grants,
    logical_id,
    objects_arn,
    own_logs_and_traces,
    table_arn,
)

ANCHORS = names.BUCKET_ANCHORS
PREFIX = names.ANCHORS_PREFIX_AUDIT


def _jobs_failed(template: Template, stage: str) -> str:
    return logical_id(template, 'AWS::SQS::Queue', 'QueueName', names.queue_name(stage, names.QUEUE_JOBS_FAILED))


def _audit_reads(template: Template, stage: str) -> set[tuple[str, str]]:
    audit = names.TABLE_AUDIT
    return {
        *((a, table_arn(stage, audit)) for a in READ),
        *(('dynamodb:Query', table_arn(stage, audit, f'/index/{i}')) for i in _indexes(template, stage, audit)),
    }


def _anchors_bucket_arn(stage: str) -> str:
    return f'arn:<AWS::Partition>:s3:::{names.bucket_name(stage, ANCHORS, ACCOUNT)}'


def test_anchors_bucket_is_versioned_and_object_locked_compliance_in_prod(template: Template, stage: str) -> None:
    # Given the anchors bucket of each stage
    anchors = _bucket(template, stage, ANCHORS)
    # Then every object is locked by default, for as long as the finance files, in compliance mode where data is kept
    assert anchors['VersioningConfiguration'] == {'Status': 'Enabled'}
    assert anchors['ObjectLockEnabled'] is True
    retention = anchors['ObjectLockConfiguration']['Rule']['DefaultRetention']
    mode = 'COMPLIANCE' if STAGE_DEFAULTS[stage].retain_data else 'GOVERNANCE'
    assert retention == {'Mode': mode, 'Days': STAGE_DEFAULTS[stage].export_lock_days}
    assert (stage, mode) in {('prod', 'COMPLIANCE'), ('dev', 'GOVERNANCE')}


def test_anchors_can_only_be_written_once(template: Template, stage: str) -> None:
    # Given the anchors bucket's policy
    bucket_id = logical_id(template, 'AWS::S3::Bucket', 'BucketName', names.bucket_name(stage, ANCHORS, ACCOUNT))
    statements = _bucket_policy_statements(template, bucket_id)
    # Then a PutObject without If-None-Match is denied to everyone: no new version can hide an anchor
    (write_once,) = [s for s in statements if s.get('Sid') == 'AnchorsAreWrittenOnce']
    assert write_once['Effect'] == 'Deny' and write_once['Principal'] == {'AWS': '*'}
    assert as_list(write_once['Action']) == ['s3:PutObject']
    assert write_once['Condition'] == {'Null': {'s3:if-none-match': 'true'}}
    assert [flat(r) for r in as_list(write_once['Resource'])] == [f'<{bucket_id}.Arn>/*']


def test_anchor_job_runs_hourly_with_a_dead_letter_queue(template: Template, stage: str) -> None:
    # Given the anchor-audit function
    job = functions(template)[names.function_name(stage, 'anchor-audit')]
    (event,) = [e for e in job['Events'].values() if e['Type'] == 'Schedule']
    # Then it runs every hour at the app's cron (an hourly cron is the same in every zone), failures kept
    expected = shift_schedule(f'cron({names.CRON_ANCHOR_AUDIT})', STAGE_DEFAULTS[stage].zone_shift_hours)
    assert event['Properties']['Schedule'] == expected == 'cron(55 * * * ? *)'
    assert job['DeadLetterQueue'] == {
        'Type': 'SQS',
        'TargetArn': {'Fn::GetAtt': [_jobs_failed(template, stage), 'Arn']},
    }


def test_anchor_job_reads_the_audit_head_and_only_puts_and_gets_anchors(template: Template, stage: str) -> None:
    job = names.function_name(stage, 'anchor-audit')
    expected = (
        own_logs_and_traces(job)
        | _audit_reads(template, stage)
        | {
            ('s3:GetObject', objects_arn(stage, ANCHORS, PREFIX)),
            ('s3:PutObject', objects_arn(stage, ANCHORS, PREFIX)),
            ('sqs:SendMessage', f'<{_jobs_failed(template, stage)}.Arn>'),
        }
    )
    assert grants(template, job) == expected


def test_verifiers_read_anchors_and_nobody_deletes_them(template: Template, stage: str) -> None:
    # Given every function's grants on the anchors bucket
    on_anchors = {
        name: {(a, r) for a, r in grants(template, name) if r.startswith(_anchors_bucket_arn(stage))}
        for name in functions(template)
    }
    reader = {
        ('s3:GetObject', objects_arn(stage, ANCHORS, PREFIX)),
        ('s3:ListBucket', _anchors_bucket_arn(stage)),  # prefix-bound: an absent anchor is a 404, not a 403
    }
    # Then the nightly verify and the API (POST /v1/audit/verify) read them, the anchor job writes them
    assert on_anchors.pop(names.function_name(stage, 'audit-verify')) == reader
    assert on_anchors.pop(names.function_name(stage, 'api')) == reader
    assert ('s3:PutObject', objects_arn(stage, ANCHORS, PREFIX)) in on_anchors.pop(
        names.function_name(stage, 'anchor-audit')
    )
    # And no other function touches them, and none may delete or re-lock one
    assert all(not g for g in on_anchors.values()), on_anchors
    every_action = {a for name in functions(template) for a, _ in grants(template, name)}
    assert not {a for a in every_action if 'Retention' in a or 'LegalHold' in a or a == 's3:DeleteObjectVersion'}


def test_anchor_listing_is_bound_to_the_anchors_prefix(template: Template, stage: str) -> None:
    for name in (names.function_name(stage, 'audit-verify'), names.function_name(stage, 'api')):
        role_id = functions(template)[name]['Role']['Fn::GetAtt'][0]
        statements = [
            s
            for p in template['Resources'][role_id]['Properties']['Policies']
            for s in p['PolicyDocument']['Statement']
            if 's3:ListBucket' in as_list(s['Action']) and flat(s['Resource']) == _anchors_bucket_arn(stage)
        ]
        assert [s['Condition'] for s in statements] == [{'StringLike': {'s3:prefix': [f'{PREFIX}*']}}]


def test_app_and_infra_name_the_anchors_bucket_alike(template: Template, stage: str) -> None:
    assert names.bucket_name(stage, ANCHORS, ACCOUNT) in by_name(template, 'AWS::S3::Bucket', 'BucketName')


def test_the_nightly_whole_chain_check_has_lambdas_full_time(template: Template, stage: str) -> None:
    # The whole walk grows with the chain (docs/audit.md): minutes after a year, not the default 30 s
    verify = functions(template)[names.function_name(stage, 'audit-verify')]
    assert (verify['Timeout'], verify['MemorySize']) == (900, 1769)
