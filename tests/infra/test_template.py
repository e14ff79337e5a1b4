"""Assertions on the synthesised templates of both stages (one synthesis per session, see conftest.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb.items import ALL_MODELS
from chalicelib.settings import Settings
from infra.stacks.config import STAGE_DEFAULTS, chalice_setting
from infra.stacks.cron import shift_schedule
from tests.infra.conftest import ACCOUNT, ALARM_EMAIL, Assembly

Template = dict[str, Any]


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template['Resources'].items() if v['Type'] == kind}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource.get('Properties', {}))


def by_name(template: Template, kind: str, name_key: str) -> dict[str, dict[str, Any]]:
    return {
        props(r)[name_key]: r for r in resources(template, kind).values() if isinstance(props(r).get(name_key), str)
    }


def logical_id(template: Template, kind: str, name_key: str, name: str) -> str:
    return next(k for k, v in resources(template, kind).items() if props(v).get(name_key) == name)


def flat(value: Any) -> str:
    """An intrinsic as text, enough to compare names and ARNs."""
    if isinstance(value, dict) and isinstance(value.get('Fn::Sub'), str):
        return str(value['Fn::Sub'])
    if isinstance(value, dict) and 'Fn::Join' in value:
        return str(value['Fn::Join'][0]).join(flat(v) for v in value['Fn::Join'][1])
    if isinstance(value, dict) and 'Ref' in value:
        return f'<{value["Ref"]}>'
    if isinstance(value, dict) and 'Fn::GetAtt' in value:
        return '<{}.{}>'.format(*value['Fn::GetAtt'])
    return str(value) if isinstance(value, str) else json.dumps(value)


def functions(template: Template) -> dict[str, dict[str, Any]]:
    return {props(r)['FunctionName']: props(r) for r in resources(template, 'AWS::Serverless::Function').values()}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: Template, function_name: str) -> list[dict[str, Any]]:
    role_id = functions(template)[function_name]['Role']['Fn::GetAtt'][0]
    return [s for p in props(template['Resources'][role_id])['Policies'] for s in p['PolicyDocument']['Statement']]


def grants(template: Template, function_name: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a function's role allows, whatever statements CDK merged them into."""
    statements = role_statements(template, function_name)
    assert all(s['Effect'] == 'Allow' for s in statements)
    return {(a, flat(r)) for s in statements for a in as_list(s['Action']) for r in as_list(s['Resource'])}


HOME = STAGE_DEFAULTS['dev'].region
READ = ('dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query')
CONSUME = ('sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage')
SEND = ('sqs:GetQueueUrl', 'sqs:SendMessage')


def arn(service: str, resource: str, region: str = HOME) -> str:
    return f'arn:<AWS::Partition>:{service}:{region}:{ACCOUNT}:{resource}'


def table_arn(stage: str, purpose: str, suffix: str = '') -> str:
    return arn('dynamodb', f'table/{names.table_name(stage, purpose)}{suffix}')


def objects_arn(stage: str, bucket: str, prefix: str) -> str:
    return f'arn:<AWS::Partition>:s3:::{names.bucket_name(stage, bucket, ACCOUNT)}/{prefix}*'


def own_logs_and_traces(function_name: str) -> set[tuple[str, str]]:
    log_streams = arn('logs', f'log-group:/aws/lambda/{function_name}:*')
    return {
        ('logs:CreateLogStream', log_streams),
        ('logs:PutLogEvents', log_streams),
        ('xray:PutTelemetryRecords', '*'),
        ('xray:PutTraceSegments', '*'),
    }


# ---------------------------------------------------------------- the CDK assertions library, once per stage


def test_template_loads_into_cdk_assertions(assembly: Assembly, stage: str) -> None:
    from aws_cdk.assertions import Match
    from aws_cdk.assertions import Template as CdkTemplate

    # Given the synthesised template, when read by aws_cdk.assertions
    template = CdkTemplate.from_json(assembly.template(stage))
    # Then its core resources are there, as CDK sees them
    template.resource_count_is('AWS::DynamoDB::Table', len(names.TABLES))
    template.has_resource_properties(
        'AWS::DynamoDB::Table',
        {
            'TableName': names.table_name(stage, names.TABLE_IDEMPOTENCY),
            'TimeToLiveSpecification': {'AttributeName': 'expiration', 'Enabled': True},
            'PointInTimeRecoverySpecification': Match.object_like({'PointInTimeRecoveryEnabled': True}),
        },
    )
    template.has_resource_properties(
        'AWS::S3::Bucket', {'ObjectLockEnabled': True, 'VersioningConfiguration': {'Status': 'Enabled'}}
    )
    template.has_resource_properties('AWS::SNS::Subscription', {'Protocol': 'email', 'Endpoint': ALARM_EMAIL})


# ---------------------------------------------------------------- DynamoDB: exactly the pynamodb models


@pytest.mark.parametrize('model', ALL_MODELS, ids=lambda m: m.__name__)
def test_tables_equal_the_pynamodb_models(template: Template, stage: str, model: Any) -> None:
    purpose = next(p for p in names.TABLES if model.Meta.table_name.endswith(f'-{p}'))
    table = props(by_name(template, 'AWS::DynamoDB::Table', 'TableName')[names.table_name(stage, purpose)])
    schema = model._get_schema()

    def keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
        return {k['KeyType']: k['AttributeName'] for k in key_schema}

    assert keys(table['KeySchema']) == keys(schema['key_schema'])
    types = {a['AttributeName']: a['AttributeType'] for a in table['AttributeDefinitions']}
    for definition in schema['attribute_definitions']:
        assert types[definition['AttributeName']] == definition['AttributeType']
    expected_gsis = {
        g['index_name']: (keys(g['key_schema']), g['projection']['ProjectionType'])
        for g in schema['global_secondary_indexes']
    }
    actual_gsis = {
        g['IndexName']: (keys(g['KeySchema']), g['Projection']['ProjectionType'])
        for g in table.get('GlobalSecondaryIndexes', [])
    }
    assert actual_gsis == expected_gsis
    assert not table.get('LocalSecondaryIndexes')


def test_tables_are_on_demand_with_pitr_and_prod_protection(template: Template, stage: str) -> None:
    tables = resources(template, 'AWS::DynamoDB::Table')
    prod = STAGE_DEFAULTS[stage].retain_data
    for resource in tables.values():
        table = props(resource)
        assert table['BillingMode'] == 'PAY_PER_REQUEST'
        assert table['PointInTimeRecoverySpecification']['PointInTimeRecoveryEnabled'] is True
        assert table.get('DeletionProtectionEnabled', False) is prod
        assert resource['DeletionPolicy'] == ('Retain' if prod else 'Delete')


def test_only_the_idempotency_and_directory_tables_expire_items(template: Template, stage: str) -> None:
    ttl = {
        props(t)['TableName']: props(t).get('TimeToLiveSpecification')
        for t in resources(template, 'AWS::DynamoDB::Table').values()
    }
    assert ttl.pop(names.table_name(stage, names.TABLE_IDEMPOTENCY)) == {'AttributeName': 'expiration', 'Enabled': True}
    # The directory's TTL attribute is set only on short-lived records: used and unused liveness challenges.
    assert ttl.pop(names.table_name(stage, names.TABLE_DIRECTORY)) == {'AttributeName': 'expires', 'Enabled': True}
    assert set(ttl.values()) == {None}


# ---------------------------------------------------------------- S3


def _bucket_policy_statements(template: Template, bucket_id: str) -> list[dict[str, Any]]:
    for policy in resources(template, 'AWS::S3::BucketPolicy').values():
        if props(policy)['Bucket'] == {'Ref': bucket_id}:
            return list(props(policy)['PolicyDocument']['Statement'])
    return []


def test_every_bucket_blocks_public_access_encrypts_and_enforces_tls(template: Template) -> None:
    buckets = resources(template, 'AWS::S3::Bucket')
    assert len(buckets) == 6  # uploads, media, exports, audit anchors, access logs, web
    for bucket_id, bucket in buckets.items():
        settings = props(bucket)
        assert settings['PublicAccessBlockConfiguration'] == {
            'BlockPublicAcls': True,
            'BlockPublicPolicy': True,
            'IgnorePublicAcls': True,
            'RestrictPublicBuckets': True,
        }
        (rule,) = settings['BucketEncryption']['ServerSideEncryptionConfiguration']
        assert rule['ServerSideEncryptionByDefault']['SSEAlgorithm'] in ('AES256', 'aws:kms')
        deny_plain_http = [
            s
            for s in _bucket_policy_statements(template, bucket_id)
            if s['Effect'] == 'Deny' and s.get('Condition') == {'Bool': {'aws:SecureTransport': 'false'}}
        ]
        assert deny_plain_http, f'{bucket_id} does not enforce TLS'
        assert bucket['DeletionPolicy'] == 'Retain'


def _bucket(template: Template, stage: str, purpose: str) -> dict[str, Any]:
    return props(by_name(template, 'AWS::S3::Bucket', 'BucketName')[names.bucket_name(stage, purpose, ACCOUNT)])


def test_media_bucket_uses_its_kms_key_and_expires_selfies(template: Template, stage: str) -> None:
    media = _bucket(template, stage, names.BUCKET_MEDIA)
    (rule,) = media['BucketEncryption']['ServerSideEncryptionConfiguration']
    assert rule['ServerSideEncryptionByDefault']['SSEAlgorithm'] == 'aws:kms'
    key_id = rule['ServerSideEncryptionByDefault']['KMSMasterKeyID']['Fn::GetAtt'][0]
    assert props(template['Resources'][key_id])['EnableKeyRotation'] is True
    selfies = next(r for r in media['LifecycleConfiguration']['Rules'] if r.get('Prefix') == names.MEDIA_PREFIX_SELFIES)
    assert selfies['ExpirationInDays'] == STAGE_DEFAULTS[stage].selfie_retention_days
    assert media['CorsConfiguration']['CorsRules'][0]['AllowedMethods'] == ['PUT', 'GET']


def test_exports_are_versioned_and_object_locked(template: Template, stage: str) -> None:
    exports = _bucket(template, stage, names.BUCKET_EXPORTS)
    assert exports['VersioningConfiguration'] == {'Status': 'Enabled'}
    assert exports['ObjectLockEnabled'] is True
    retention = exports['ObjectLockConfiguration']['Rule']['DefaultRetention']
    assert retention == {'Mode': 'GOVERNANCE', 'Days': STAGE_DEFAULTS[stage].export_lock_days}


def test_uploads_move_to_cheaper_storage(template: Template, stage: str) -> None:
    uploads = _bucket(template, stage, names.BUCKET_UPLOADS)
    rule = next(
        r for r in uploads['LifecycleConfiguration']['Rules'] if r.get('Prefix') == names.UPLOADS_PREFIX_BRIDGES
    )
    if STAGE_DEFAULTS[stage].upload_expiry_days is None:
        assert [t['StorageClass'] for t in rule['Transitions']] == ['STANDARD_IA', 'GLACIER_IR']
        assert 'ExpirationInDays' not in rule
    else:
        assert rule['ExpirationInDays'] == STAGE_DEFAULTS[stage].upload_expiry_days
    assert uploads['VersioningConfiguration'] == {'Status': 'Enabled'}


# ---------------------------------------------------------------- ingestion


def test_uploads_notify_the_device_log_queue_which_has_a_dead_letter_queue(template: Template, stage: str) -> None:
    queue_id = logical_id(template, 'AWS::SQS::Queue', 'QueueName', names.queue_name(stage, names.QUEUE_DEVICE_LOGS))
    dlq_id = logical_id(
        template, 'AWS::SQS::Queue', 'QueueName', names.dead_letter_queue_name(stage, names.QUEUE_DEVICE_LOGS)
    )
    queue = props(template['Resources'][queue_id])
    assert queue['RedrivePolicy'] == {'deadLetterTargetArn': {'Fn::GetAtt': [dlq_id, 'Arn']}, 'maxReceiveCount': 5}
    # A future consumer gets the default function timeout (the long scheduled jobs have their own, longer)
    assert queue['VisibilityTimeout'] >= 6 * chalice_setting(stage, 'lambda_timeout', 60)
    assert queue['SqsManagedSseEnabled'] is True
    (notification,) = _bucket(template, stage, names.BUCKET_UPLOADS)['NotificationConfiguration']['QueueConfigurations']
    assert notification['Queue'] == {'Fn::GetAtt': [queue_id, 'Arn']}
    assert notification['Filter']['S3Key']['Rules'] == [{'Name': 'prefix', 'Value': names.UPLOADS_PREFIX_BRIDGES}]


# ---------------------------------------------------------------- mobile check-in: the face-check queue


def _face_check_queue_id(template: Template, stage: str) -> str:
    return logical_id(template, 'AWS::SQS::Queue', 'QueueName', names.queue_name(stage, names.QUEUE_FACE_CHECKS))


def _queue_policy_statements(template: Template, queue_id: str) -> list[dict[str, Any]]:
    return [
        s
        for policy in resources(template, 'AWS::SQS::QueuePolicy').values()
        if {'Ref': queue_id} in props(policy)['Queues']
        for s in props(policy)['PolicyDocument']['Statement']
    ]


def test_face_check_queue_has_a_dead_letter_queue_sqs_encryption_and_tls_only(template: Template, stage: str) -> None:
    # Given the queue the app sends busy-engine check-ins to, and its dead-letter queue, by the app's names
    queue_id = _face_check_queue_id(template, stage)
    dlq_id = logical_id(
        template, 'AWS::SQS::Queue', 'QueueName', names.dead_letter_queue_name(stage, names.QUEUE_FACE_CHECKS)
    )
    queue, dlq = props(template['Resources'][queue_id]), props(template['Resources'][dlq_id])
    # Then failed messages end in the DLQ, which keeps them longer than the queue does
    assert queue['RedrivePolicy'] == {'deadLetterTargetArn': {'Fn::GetAtt': [dlq_id, 'Arn']}, 'maxReceiveCount': 5}
    assert dlq['MessageRetentionPeriod'] > queue['MessageRetentionPeriod']
    # And both are encrypted by SQS and refuse plain HTTP
    for queue_props, rid in ((queue, queue_id), (dlq, dlq_id)):
        assert queue_props['SqsManagedSseEnabled'] is True
        assert 'KmsMasterKeyId' not in queue_props
        assert any(
            s['Effect'] == 'Deny' and s.get('Condition') == {'Bool': {'aws:SecureTransport': 'false'}}
            for s in _queue_policy_statements(template, rid)
        ), f'{rid} does not enforce TLS'


def test_face_check_consumer_polls_its_queue_by_reference_at_capped_concurrency(template: Template, stage: str) -> None:
    from chalicelib.events.face_checks import BATCH_SIZE

    # Given the Chalice consumer `verify_face_checks`
    consumer = functions(template)[names.function_name(stage, 'verify-face-checks')]
    (event,) = consumer['Events'].values()
    queue_id = _face_check_queue_id(template, stage)
    # Then its event source is the face-check queue, by reference (CloudFormation creates the queue first)
    assert event['Type'] == 'SQS'
    assert event['Properties']['Queue'] == {'Fn::GetAtt': [queue_id, 'Arn']}
    assert event['Properties']['BatchSize'] == BATCH_SIZE
    # And its concurrency is capped on the event source, not by reserved concurrency
    concurrency = STAGE_DEFAULTS[stage].face_check_max_concurrency
    assert event['Properties']['ScalingConfig'] == {'MaximumConcurrency': concurrency}
    assert concurrency == 2
    assert 'ReservedConcurrentExecutions' not in consumer
    # And a message stays invisible well beyond the consumer's run time
    visibility = props(template['Resources'][queue_id])['VisibilityTimeout']
    assert visibility >= 6 * consumer['Timeout'] > consumer['Timeout']


def test_face_check_consumer_may_do_exactly_what_it_needs(template: Template, stage: str) -> None:
    consumer = names.function_name(stage, 'verify-face-checks')
    media_key = _bucket(template, stage, names.BUCKET_MEDIA)['BucketEncryption']['ServerSideEncryptionConfiguration']
    media_key_arn = flat(media_key[0]['ServerSideEncryptionByDefault']['KMSMasterKeyID'])
    queue = arn('sqs', names.queue_name(stage, names.QUEUE_FACE_CHECKS))
    directory = names.TABLE_DIRECTORY
    expected = own_logs_and_traces(consumer) | {
        *((a, table_arn(stage, directory)) for a in (*READ, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem')),
        *(('dynamodb:Query', table_arn(stage, directory, f'/index/{i}')) for i in _indexes(template, stage, directory)),
        ('dynamodb:PutItem', table_arn(stage, names.TABLE_PUNCHES)),
        ('s3:GetObject', objects_arn(stage, names.BUCKET_MEDIA, names.MEDIA_PREFIX_SELFIES)),
        ('s3:GetObject', objects_arn(stage, names.BUCKET_MEDIA, names.MEDIA_PREFIX_FACES)),
        ('kms:Decrypt', media_key_arn),
        ('rekognition:CompareFaces', '*'),
        ('rekognition:DetectFaces', '*'),
        *((a, queue) for a in (*CONSUME, *SEND)),  # it re-queues with a delay what Rekognition refuses again
    }
    assert grants(template, consumer) == expected
    _assert_rekognition_stateless_calls_pinned_to_its_region(template, consumer)


def test_face_check_sweep_lists_pending_check_ins_and_sends_only(template: Template, stage: str) -> None:
    sweep = names.function_name(stage, 'sweep-face-checks')
    directory = names.TABLE_DIRECTORY
    jobs_failed = logical_id(template, 'AWS::SQS::Queue', 'QueueName', names.queue_name(stage, names.QUEUE_JOBS_FAILED))
    expected = own_logs_and_traces(sweep) | {
        *((a, table_arn(stage, directory)) for a in READ),
        *(('dynamodb:Query', table_arn(stage, directory, f'/index/{i}')) for i in _indexes(template, stage, directory)),
        *((a, arn('sqs', names.queue_name(stage, names.QUEUE_FACE_CHECKS))) for a in SEND),
        ('sqs:SendMessage', f'<{jobs_failed}.Arn>'),  # a scheduled function's failed invocations
    }
    assert grants(template, sweep) == expected


def test_machine_summary_reads_punches_and_keeps_only_its_records_backfills_and_audit(
    template: Template, stage: str
) -> None:
    summary = names.function_name(stage, 'machine-summary')
    directory, punches, audit = names.TABLE_DIRECTORY, names.TABLE_PUNCHES, names.TABLE_AUDIT
    jobs_failed = logical_id(template, 'AWS::SQS::Queue', 'QueueName', names.queue_name(stage, names.QUEUE_JOBS_FAILED))
    expected = own_logs_and_traces(summary) | {
        # Machines, heartbeats and earlier checks; its checks and summaries (a batch) and backfills (a transaction)
        *((a, table_arn(stage, directory)) for a in (*READ, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem')),
        *(('dynamodb:Query', table_arn(stage, directory, f'/index/{i}')) for i in _indexes(template, stage, directory)),
        # Every OPD's punches of the day, read only
        *((a, table_arn(stage, punches)) for a in READ),
        *(('dynamodb:Query', table_arn(stage, punches, f'/index/{i}')) for i in _indexes(template, stage, punches)),
        # The audit entry of each backfill it opens: the chain's head is read, the entry put
        *((a, table_arn(stage, audit)) for a in (*READ, 'dynamodb:PutItem')),
        *(('dynamodb:Query', table_arn(stage, audit, f'/index/{i}')) for i in _indexes(template, stage, audit)),
        ('sqs:SendMessage', f'<{jobs_failed}.Arn>'),  # a scheduled function's failed invocations
    }
    assert grants(template, summary) == expected


def test_holiday_import_adds_holidays_with_audit_and_marks_re_closes_only(template: Template, stage: str) -> None:
    importer = names.function_name(stage, 'import-holidays')
    directory, audit = names.TABLE_DIRECTORY, names.TABLE_AUDIT
    jobs_failed = logical_id(template, 'AWS::SQS::Queue', 'QueueName', names.queue_name(stage, names.QUEUE_JOBS_FAILED))
    expected = own_logs_and_traces(importer) | {
        # Holidays and tombstones read; the missing days put (a transaction); past days marked (a batch)
        *((a, table_arn(stage, directory)) for a in (*READ, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem')),
        *(('dynamodb:Query', table_arn(stage, directory, f'/index/{i}')) for i in _indexes(template, stage, directory)),
        # The import's audit entry: the chain's head is read, the entry put
        *((a, table_arn(stage, audit)) for a in (*READ, 'dynamodb:PutItem')),
        *(('dynamodb:Query', table_arn(stage, audit, f'/index/{i}')) for i in _indexes(template, stage, audit)),
        ('sqs:SendMessage', f'<{jobs_failed}.Arn>'),  # a scheduled function's failed invocations
    }
    assert grants(template, importer) == expected


def test_api_may_queue_face_checks_keep_selfies_and_faces_and_use_rekognition(template: Template, stage: str) -> None:
    api = names.function_name(stage, 'api')
    granted = grants(template, api)
    # Given the check-in routes: the face-check queue, and no other queue
    queue = arn('sqs', names.queue_name(stage, names.QUEUE_FACE_CHECKS))
    assert {(a, r) for a, r in granted if a.startswith('sqs:')} == {(a, queue) for a in SEND}
    # Selfies and reference faces: written once, read back (the review's presigned GET is signed by this role)
    media = names.bucket_name(stage, names.BUCKET_MEDIA, ACCOUNT)
    assert {(a, r) for a, r in granted if f':::{media}' in r} == {
        (a, objects_arn(stage, names.BUCKET_MEDIA, prefix))
        for a in ('s3:GetObject', 's3:PutObject')
        for prefix in (names.MEDIA_PREFIX_SELFIES, names.MEDIA_PREFIX_FACES)
    }
    # Device nonces: a conditional put in the idempotency table
    assert ('dynamodb:PutItem', table_arn(stage, names.TABLE_IDEMPOTENCY)) in granted
    # Rekognition: the stateless calls on '*', the collection calls on the collection in the Rekognition region
    region = STAGE_DEFAULTS[stage].rekognition_region
    collection = arn('rekognition', f'collection/{names.face_collection_id(stage)}', region)
    assert {(a, r) for a, r in granted if a.startswith('rekognition:')} == {
        ('rekognition:CompareFaces', '*'),
        ('rekognition:DetectFaces', '*'),
        ('rekognition:DeleteFaces', collection),
        ('rekognition:IndexFaces', collection),
        ('rekognition:SearchFacesByImage', collection),
    }
    _assert_rekognition_stateless_calls_pinned_to_its_region(template, api)


def test_no_function_has_a_wildcard_resource_beyond_xray_and_rekognitions_stateless_calls(template: Template) -> None:
    for function in functions(template):
        # (Object prefixes and a function's own log streams end in '*' too: wildcards.py justifies them.)
        wildcards = {a for a, r in grants(template, function) if r == '*'}
        assert wildcards <= {
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
            'rekognition:CompareFaces',
            'rekognition:DetectFaces',
        }, function


def _indexes(template: Template, stage: str, purpose: str) -> list[str]:
    table = props(by_name(template, 'AWS::DynamoDB::Table', 'TableName')[names.table_name(stage, purpose)])
    return [index['IndexName'] for index in table.get('GlobalSecondaryIndexes', [])]


def _assert_rekognition_stateless_calls_pinned_to_its_region(template: Template, function_name: str) -> None:
    region = STAGE_DEFAULTS['dev'].rekognition_region
    for statement in role_statements(template, function_name):
        if any(a in ('rekognition:CompareFaces', 'rekognition:DetectFaces') for a in as_list(statement['Action'])):
            assert statement['Resource'] == '*'
            assert statement['Condition'] == {'StringEquals': {'aws:RequestedRegion': region}}


# ---------------------------------------------------------------- functions, schedules and names


def test_function_environment_makes_the_app_derive_infra_names(template: Template, stage: str) -> None:
    # Given the environment every function gets
    for function in functions(template).values():
        env = function['Environment']['Variables']
        assert env['HADIR_STAGE'] == stage
        # When chalicelib's Settings reads it (as in Lambda)
        # (the export job's topic ARN and console URL are CloudFormation references: read as text)
        settings = Settings.from_environment({k: flat(v) for k, v in env.items()})
        # Then the names it derives are the names infra created
        tables = set(by_name(template, 'AWS::DynamoDB::Table', 'TableName'))
        assert {settings.table(p) for p in names.TABLES} == tables
        buckets = set(by_name(template, 'AWS::S3::Bucket', 'BucketName'))
        assert {settings.bucket(p) for p in names.BUCKETS} <= buckets
        queues = set(by_name(template, 'AWS::SQS::Queue', 'QueueName'))
        assert {names.queue_name(settings.stage, p) for p in names.QUEUES} <= queues
        # And it calls Rekognition where the collection is.
        (collection,) = resources(template, 'Custom::RekognitionCollection').values()
        assert f'"region":"{settings.rekognition_region}"' in flat(props(collection)['Create']).replace(' ', '')


def test_resource_names_match_the_local_stack_naming(template: Template, stage: str) -> None:
    # The local stack names resources with the same Settings/resource_names; only stage and suffix differ.
    settings = Settings(stage=stage, bucket_suffix=ACCOUNT)
    local = Settings(stage='local')
    assert set(by_name(template, 'AWS::DynamoDB::Table', 'TableName')) == {settings.table(p) for p in names.TABLES}
    for purpose in names.TABLES:
        assert settings.table(purpose).replace(f'-{stage}-', '-local-') == local.table(purpose)
    expected_buckets = {settings.bucket(p) for p in (*names.BUCKETS, names.BUCKET_ACCESS_LOGS, names.BUCKET_WEB)}
    assert set(by_name(template, 'AWS::S3::Bucket', 'BucketName')) == expected_buckets
    work_queues = (names.QUEUE_DEVICE_LOGS, *names.QUEUES)
    assert set(by_name(template, 'AWS::SQS::Queue', 'QueueName')) == {
        names.queue_name(stage, names.QUEUE_JOBS_FAILED),
        *(names.queue_name(stage, p) for p in work_queues),
        *(names.dead_letter_queue_name(stage, p) for p in work_queues),
    }
    # The local stack creates the queues the app sends to (names.QUEUES) under the same names.
    for purpose in names.QUEUES:
        assert names.queue_name(stage, purpose).replace(f'-{stage}-', '-local-') == names.queue_name('local', purpose)
    assert names.function_name(stage, 'api') in functions(template)
    (collection,) = resources(template, 'Custom::RekognitionCollection').values()
    assert names.face_collection_id(stage) in json.dumps(props(collection)['Create'])


def test_schedules_are_the_apps_crons_with_dead_letters(template: Template, stage: str) -> None:
    crons = {v for k, v in vars(names).items() if k.startswith('CRON_')}
    shift = STAGE_DEFAULTS[stage].zone_shift_hours  # the test pemda is in WIB: no shift
    scheduled = {}
    for name, function in functions(template).items():
        for event in function.get('Events', {}).values():
            if event['Type'] == 'Schedule':
                scheduled[name] = event['Properties']['Schedule']
                assert event['Properties']['Name'] == name
                assert function['DeadLetterQueue']['Type'] == 'SQS'
    assert set(scheduled.values()) == {shift_schedule(f'cron({c})', shift) for c in crons}
    assert names.function_name(stage, 'audit-verify') in scheduled


def test_each_function_has_its_own_role_and_log_retention(template: Template, stage: str) -> None:
    roles = [json.dumps(f['Role']) for f in functions(template).values()]
    assert len(roles) == len(set(roles))
    groups = {flat(props(g)['LogGroupName']): props(g) for g in resources(template, 'AWS::Logs::LogGroup').values()}
    for function_id, function in resources(template, 'AWS::Serverless::Function').items():
        assert groups[f'/aws/lambda/${{{function_id}}}']['RetentionInDays'] == STAGE_DEFAULTS[stage].log_retention_days
        assert props(function)['Tracing'] == 'Active'


# ---------------------------------------------------------------- API edge and web


def test_api_has_throttling_access_logs_waf_and_a_usage_plan(template: Template, stage: str) -> None:
    (api,) = resources(template, 'AWS::Serverless::Api').values()
    settings = props(api)
    config = STAGE_DEFAULTS[stage]
    assert settings['Name'] == names.resource_name(stage, 'api')
    assert settings['EndpointConfiguration'] == 'REGIONAL'
    assert settings['AccessLogSetting']['DestinationArn']['Fn::GetAtt'][1] == 'Arn'
    everything = next(m for m in settings['MethodSettings'] if m['ResourcePath'] == '/*')
    assert (everything['ThrottlingRateLimit'], everything['ThrottlingBurstLimit']) == (
        config.api_rate_limit,
        config.api_burst_limit,
    )
    assert everything['DataTraceEnabled'] is False
    (plan,) = resources(template, 'AWS::ApiGateway::UsagePlan').values()
    assert props(plan)['ApiStages'] == [{'ApiId': {'Ref': 'RestAPI'}, 'Stage': {'Ref': 'RestAPI.Stage'}}]
    assert props(plan)['Quota']['Period'] == 'MONTH'
    (acl,) = resources(template, 'AWS::WAFv2::WebACL').values()
    rules = {r['Name']: r for r in props(acl)['Rules']}
    size = rules['json-body-size']['Statement']['AndStatement']['Statements'][0]['SizeConstraintStatement']
    assert (size['ComparisonOperator'], size['Size']) == ('GT', config.max_json_body_bytes)
    rate = rules['rate-per-ip']['Statement']['RateBasedStatement']
    assert rate['Limit'] == config.waf_requests_per_ip
    # Phones behind CloudFront share edge addresses: their signed routes are left to per-device checks
    assert (
        rate['ScopeDownStatement']['NotStatement']['Statement']['ByteMatchStatement']['SearchString'] == '/v1/mobile/'
    )
    exempt = rules['json-body-size']['Statement']['AndStatement']['Statements'][1]['NotStatement']['Statement']
    assert {s['ByteMatchStatement']['SearchString'] for s in exempt['OrStatement']['Statements']} == {
        '/v1/employees/import',
        '/v1/imports/scores',
        '/v1/mobile/face',
        '/v1/mobile/checkins',
        '/v1/mobile/requests',
        '/manual-list',
    }
    (association,) = resources(template, 'AWS::WAFv2::WebACLAssociation').values()
    assert '/restapis/<RestAPI>/stages/<RestAPI.Stage>' in flat(props(association)['ResourceArn'])
    env = next(iter(functions(template).values()))['Environment']['Variables']
    assert int(env['HADIR_MAX_JSON_BODY_BYTES']) == config.max_json_body_bytes


def test_web_app_is_private_behind_cloudfront_with_origin_access_control(template: Template, stage: str) -> None:
    (distribution,) = resources(template, 'AWS::CloudFront::Distribution').values()
    settings = props(distribution)['DistributionConfig']
    origin = next(o for o in settings['Origins'] if o['Id'] == settings['DefaultCacheBehavior']['TargetOriginId'])
    assert origin['OriginAccessControlId']['Fn::GetAtt'][1] == 'Id'
    assert settings['DefaultCacheBehavior']['ViewerProtocolPolicy'] == 'redirect-to-https'
    assert 'Logging' in settings
    web_id = logical_id(template, 'AWS::S3::Bucket', 'BucketName', names.bucket_name(stage, names.BUCKET_WEB, ACCOUNT))
    reads = [
        s
        for s in _bucket_policy_statements(template, web_id)
        if s['Effect'] == 'Allow' and s['Principal'] == {'Service': 'cloudfront.amazonaws.com'}
    ]
    assert reads and all('AWS:SourceArn' in json.dumps(s['Condition']) for s in reads)
    # The session's synthesis gives infra a web/ directory, so the content is deployed.
    assert resources(template, 'Custom::CDKBucketDeployment')


# ---------------------------------------------------------------- IAM


def test_finance_role_reads_exports_only(template: Template, stage: str) -> None:
    (role,) = [
        r
        for r in resources(template, 'AWS::IAM::Role').values()
        if props(r).get('RoleName', '').endswith('finance-exports')
    ]
    statements = [s for p in props(role)['Policies'] for s in p['PolicyDocument']['Statement']]
    bucket = names.bucket_name(stage, names.BUCKET_EXPORTS, ACCOUNT)
    granted = {(json.dumps(s['Action']), flat(s['Resource'])) for s in statements}
    assert granted == {
        (json.dumps(['s3:GetObject', 's3:GetObjectVersion']), f'arn:<AWS::Partition>:s3:::{bucket}/exports/*'),
        (json.dumps('s3:ListBucket'), f'arn:<AWS::Partition>:s3:::{bucket}'),
    }
    listing = next(s for s in statements if s['Action'] == 's3:ListBucket')
    assert listing['Condition'] == {'StringLike': {'s3:prefix': ['exports/', 'exports/*']}}


def test_rekognition_collection_lives_in_the_rekognition_region_with_scoped_iam(template: Template, stage: str) -> None:
    (collection,) = resources(template, 'Custom::RekognitionCollection').values()
    create = flat(props(collection)['Create'])
    assert '"region":"ap-southeast-1"' in create.replace(' ', '')
    assert '"action":"CreateCollection"' in create.replace(' ', '')
    arn = f'arn:<AWS::Partition>:rekognition:ap-southeast-1:{ACCOUNT}:collection/{names.face_collection_id(stage)}'
    policies = [props(p)['PolicyDocument'] for p in resources(template, 'AWS::IAM::Policy').values()]
    collection_statements = [
        s for d in policies for s in d['Statement'] if 'rekognition:CreateCollection' in s['Action']
    ]
    assert [flat(s['Resource']) for s in collection_statements] == [arn]
    expected_policy = 'Retain' if STAGE_DEFAULTS[stage].retain_data else 'Delete'
    assert collection['DeletionPolicy'] == expected_policy


def test_api_role_touches_the_collection_only_by_its_arn(template: Template, stage: str) -> None:
    api_role_id = functions(template)[names.function_name(stage, 'api')]['Role']['Fn::GetAtt'][0]
    statements = [
        s for p in props(template['Resources'][api_role_id])['Policies'] for s in p['PolicyDocument']['Statement']
    ]
    for statement in statements:
        actions = statement['Action'] if isinstance(statement['Action'], list) else [statement['Action']]
        face_collection_calls = [
            a
            for a in actions
            if a.startswith('rekognition:') and a not in ('rekognition:DetectFaces', 'rekognition:CompareFaces')
        ]
        if face_collection_calls:
            assert flat(statement['Resource']).endswith(f':collection/{names.face_collection_id(stage)}')


RESOURCE_POLICY_KINDS = {
    'AWS::S3::BucketPolicy': 'bucket',
    'AWS::SQS::QueuePolicy': 'queue',
    'AWS::SNS::TopicPolicy': 'topic',
}


def _policy_documents(template: Template) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource id, kind, document) for every identity and resource policy of the template."""
    found = []
    for rid, resource in template['Resources'].items():
        p = props(resource)
        kind = resource['Type']
        if kind in ('AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'):
            found.append((rid, 'identity', p['PolicyDocument']))
        elif kind == 'AWS::IAM::Role':
            found += [(rid, 'identity', policy['PolicyDocument']) for policy in p.get('Policies', [])]
        elif kind in RESOURCE_POLICY_KINDS:
            found.append((rid, RESOURCE_POLICY_KINDS[kind], p['PolicyDocument']))
        elif kind == 'AWS::KMS::Key':
            found.append((rid, 'key', p['KeyPolicy']))
    return found


def test_no_wildcard_permission_outside_the_justified_list(template: Template) -> None:
    from infra.stacks.wildcards import wildcard_findings

    unjustified = [
        (rid, finding.actions, finding.resources)
        for rid, kind, document in _policy_documents(template)
        for finding in wildcard_findings(document, kind)
        if not finding.justified_by
    ]
    assert unjustified == []


def test_no_action_is_a_service_wide_wildcard_in_hadirs_own_roles(template: Template) -> None:
    for function in functions(template).values():
        role = props(template['Resources'][function['Role']['Fn::GetAtt'][0]])
        assert not role.get('ManagedPolicyArns')
        for policy in role['Policies']:
            for statement in policy['PolicyDocument']['Statement']:
                actions = statement['Action'] if isinstance(statement['Action'], list) else [statement['Action']]
                assert not [a for a in actions if '*' in a]


def test_managed_policies_are_only_the_justified_ones(template: Template) -> None:
    from infra.stacks.wildcards import managed_policy_reason

    for role in resources(template, 'AWS::IAM::Role').values():
        for arn in props(role).get('ManagedPolicyArns', []):
            flat_arn, reason = managed_policy_reason(arn)
            assert reason, flat_arn


# ---------------------------------------------------------------- monitoring


def test_alarms_cover_errors_dead_letters_and_the_apps_metrics(template: Template, stage: str) -> None:
    alarms = {props(a)['AlarmName']: props(a) for a in resources(template, 'AWS::CloudWatch::Alarm').values()}
    finance = names.resource_name(stage, 'finance-notices')  # finance's own topic: tests/infra/test_finance_notices.py
    (topic_id,) = [k for k, r in resources(template, 'AWS::SNS::Topic').items() if props(r)['TopicName'] != finance]
    for function in functions(template):
        assert alarms[f'{function}-errors']['Dimensions'] == [{'Name': 'FunctionName', 'Value': function}]
    for queue in (
        names.dead_letter_queue_name(stage, names.QUEUE_DEVICE_LOGS),
        names.dead_letter_queue_name(stage, names.QUEUE_FACE_CHECKS),
        names.queue_name(stage, names.QUEUE_JOBS_FAILED),
    ):
        depth = alarms[f'{queue}-depth']
        assert (depth['MetricName'], depth['Threshold'], depth['ComparisonOperator']) == (
            'ApproximateNumberOfMessagesVisible',
            1,
            'GreaterThanOrEqualToThreshold',
        )
    # The face-check backlog must drain: its oldest message is at most 15 minutes old
    face_checks = names.queue_name(stage, names.QUEUE_FACE_CHECKS)
    age = alarms[f'{face_checks}-age']
    assert (age['MetricName'], age['Statistic'], age['Threshold']) == ('ApproximateAgeOfOldestMessage', 'Maximum', 900)
    assert age['Dimensions'][0]['Value'] == {'Fn::GetAtt': [_face_check_queue_id(template, stage), 'QueueName']}
    # No function reads the device-log queue (reconcile lists S3), so its age is not watched
    assert f'{names.queue_name(stage, names.QUEUE_DEVICE_LOGS)}-age' not in alarms
    # Rekognition's throttling is watched in the Rekognition region (the app does not emit RekognitionThrottled)
    app_metrics = {a['MetricName']: a for a in alarms.values() if a.get('Namespace') == names.METRICS_NAMESPACE}
    assert set(app_metrics) == {
        names.METRIC_AUDIT_CHAIN_BROKEN,
        names.METRIC_MACHINES_OFFLINE,
        names.METRIC_RECONCILE_LAG,
    }
    for alarm in app_metrics.values():
        assert alarm['Dimensions'] == [{'Name': 'service', 'Value': names.APP_NAME}]
    for alarm in alarms.values():
        assert alarm['AlarmActions'] == [{'Ref': topic_id}]
    topic = props(template['Resources'][topic_id])
    assert topic['KmsMasterKeyId']['Fn::GetAtt'][1] == 'Arn'


def test_rekognition_throttling_is_alarmed_in_the_rekognition_region(assembly: Assembly, stage: str) -> None:
    from aws_cdk.assertions import Template as CdkTemplate

    config = STAGE_DEFAULTS[stage]
    regional = f'hadir-{stage}-rekognition'
    # Given the stage's second stack: in the Rekognition region, deployed before (and with) hadir-<stage>
    artifacts = assembly.manifest()['artifacts']
    assert artifacts[regional]['environment'] == f'aws://{ACCOUNT}/{config.rekognition_region}'
    assert regional in artifacts[f'hadir-{stage}']['dependencies']
    template = assembly.rekognition_template(stage)
    # Then it alarms on Rekognition's own ThrottledCount for every operation of the account (no dimension)
    (alarm,) = [props(a) for a in resources(template, 'AWS::CloudWatch::Alarm').values()]
    assert alarm['AlarmName'] == names.resource_name(stage, 'rekognition-throttles')
    assert (alarm['Namespace'], alarm['MetricName'], alarm['Statistic']) == ('AWS/Rekognition', 'ThrottledCount', 'Sum')
    assert not alarm.get('Dimensions')
    assert alarm['Threshold'] == config.alarm_thresholds['rekognition_throttled']
    # And notifies its own encrypted topic there, with the same e-mail
    (topic_id,) = resources(template, 'AWS::SNS::Topic')
    assert alarm['AlarmActions'] == alarm['OKActions'] == [{'Ref': topic_id}]
    assert props(template['Resources'][topic_id])['KmsMasterKeyId']['Fn::GetAtt'][1] == 'Arn'
    CdkTemplate.from_json(template).has_resource_properties(
        'AWS::SNS::Subscription', {'Protocol': 'email', 'Endpoint': ALARM_EMAIL}
    )
    # And it holds no data: no image, face or record is kept in this region by this stack
    kinds = {r['Type'] for r in template['Resources'].values()} - {'AWS::CDK::Metadata'}
    assert kinds == {
        'AWS::CloudWatch::Alarm',
        'AWS::KMS::Key',
        'AWS::SNS::Subscription',
        'AWS::SNS::Topic',
        'AWS::SNS::TopicPolicy',
    }


def test_rekognition_region_stack_has_no_unjustified_wildcard(assembly: Assembly, stage: str) -> None:
    from infra.stacks.wildcards import wildcard_findings

    template = assembly.rekognition_template(stage)
    assert [
        (rid, f.actions, f.resources)
        for rid, kind, document in _policy_documents(template)
        for f in wildcard_findings(document, kind)
        if not f.justified_by
    ] == []


# ---------------------------------------------------------------- cdk-nag and cfn-lint

# Every cdk-nag finding Hadir accepts outside IAM (IAM ones come from infra/stacks/wildcards.py).
ACCEPTED_FINDINGS = {
    'AwsSolutions-S1',  # the access-log bucket itself
    'AwsSolutions-SQS3',  # the dead-letter queues (device logs, face checks, failed jobs)
    'AwsSolutions-CFR1',  # no geo restriction
    'AwsSolutions-CFR2',  # static files; CloudFront WAF would live in us-east-1
    'AwsSolutions-CFR4',  # default CloudFront certificate until a custom domain
    'AwsSolutions-L1',  # CDK's own BucketDeployment runtime
    'CloudFormation-Validate::F1020',  # SAM's RestAPI.Stage reference
}


def _acknowledgements(metadata: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entries in metadata.values():
        for entry in entries:
            if entry['type'] == 'aws:cdk:acknowledged-rules':
                for rule, reason in entry['data'].items():
                    found.setdefault(rule.removeprefix('Annotation::'), []).append(reason)
    return found


def test_cdk_nag_passes_with_reasoned_acknowledgements_only(assembly: Assembly, stage: str) -> None:
    # The AwsSolutions pack runs as a validation plugin: any unacknowledged finding fails the synthesis.
    report = assembly.outdir / 'validation-report.json'
    if report.exists():
        plugins = json.loads(report.read_text())['pluginReports']
        nag = [p for p in plugins if p['pluginName'] == 'AwsSolutions']
        assert all(p['conclusion'] == 'success' for p in nag), nag
    acknowledged = _acknowledgements(assembly.metadata(stage))
    assert all(reason.strip() for reasons in acknowledged.values() for reason in reasons)
    assert _non_iam(acknowledged) == ACCEPTED_FINDINGS
    # The Rekognition-region stack needs no acknowledgement at all
    assert _acknowledgements(assembly.rekognition_metadata(stage)) == {}


def _non_iam(acknowledged: dict[str, list[str]]) -> set[str]:
    return {
        re.sub(r'\[.*\]$', '', rule)
        for rule in acknowledged
        if not rule.startswith(('AwsSolutions-IAM4[', 'AwsSolutions-IAM5['))
    }


@pytest.mark.parametrize('suffix', ['', '-rekognition'])
def test_cfn_lint_finds_no_errors(assembly: Assembly, stage: str, suffix: str) -> None:
    from cfnlint.api import ManualArgs, lint_file

    config = STAGE_DEFAULTS[stage]
    region = config.rekognition_region if suffix else config.region
    stack = f'hadir-{stage}{suffix}'
    matches = lint_file(assembly.outdir / f'{stack}.template.json', config=ManualArgs(regions=[region]))
    errors = [f'{m.rule.id} {m.message} ({m.path_string})' for m in matches if m.rule.id.startswith('E')]
    assert errors == []
    warnings = sorted({m.rule.id for m in matches if m.rule.id.startswith('W')})
    print(f'\ncfn-lint on {stack} ({region}): no errors; warnings: {warnings or "none"}')


def test_synthesis_stays_fast(assembly: Assembly) -> None:
    print(f'\ninfra synthesis (both stages, Chalice packaging included): {assembly.seconds:.1f} s')
    assert assembly.seconds < 300


def test_the_long_jobs_have_the_time_a_province_needs(template: Template) -> None:
    # A province's day close and month close take minutes, not the API's 30 s
    timeouts = {name: f['Timeout'] for name, f in functions(template).items()}
    long_jobs = [name for name in timeouts if name.endswith(('-close-day', '-close-month'))]
    assert len(long_jobs) == 2 and all(timeouts[name] == 900 for name in long_jobs), timeouts
