"""Least privilege per function: what each Chalice function may touch, as data, and its IAM statements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from chalicelib import resource_names as names
from infra.stacks import arns

# DynamoDB operations by intent. Transactions need no action of their own: IAM checks each Put/Update/
# Delete/ConditionCheck inside them. Punches and audit entries are only ever put (immutable, append-only).
_TABLE_ACTIONS = {
    'read': ('dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'),
    'put': ('dynamodb:PutItem',),
    'update': ('dynamodb:UpdateItem',),
    'delete': ('dynamodb:DeleteItem',),
    'batch_write': ('dynamodb:BatchWriteItem',),  # the allowance jobs put and delete derived records in batches
}
_OBJECT_ACTIONS = {'get': 's3:GetObject', 'put': 's3:PutObject', 'delete': 's3:DeleteObject'}
# Stateless face calls (no resource type) and calls on the one collection.
_FACE_CALLS = ('rekognition:DetectFaces', 'rekognition:CompareFaces')
_COLLECTION_CALLS = (
    'rekognition:DescribeCollection',
    'rekognition:IndexFaces',
    'rekognition:SearchFaces',
    'rekognition:SearchFacesByImage',
    'rekognition:ListFaces',
    'rekognition:DeleteFaces',
)
_CONSUME = ('sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes')
ALL = frozenset({'read', 'put', 'update', 'delete'})


@dataclass(frozen=True)
class Access:
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)  # table purpose -> intents
    objects: Mapping[tuple[str, str], frozenset[str]] = field(
        default_factory=dict
    )  # (bucket, prefix) -> get/put/delete
    faces: bool = False


API = Access(
    tables={
        names.TABLE_DIRECTORY: ALL,
        names.TABLE_PUNCHES: frozenset({'read', 'put'}),
        names.TABLE_AUDIT: frozenset({'read', 'put'}),
        names.TABLE_IDEMPOTENCY: ALL,
        names.TABLE_ALLOWANCE: frozenset({'read'}),  # export listings
    },
    objects={
        (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_BRIDGES): frozenset({'put'}),  # presigned PUT for bridges
        (names.BUCKET_MEDIA, names.MEDIA_PREFIX_SELFIES): frozenset({'get', 'put'}),
        (names.BUCKET_MEDIA, names.MEDIA_PREFIX_FACES): frozenset({'get', 'put', 'delete'}),
        (names.BUCKET_EXPORTS, names.EXPORTS_PREFIX): frozenset({'get', 'put'}),
    },
    faces=True,
)
# Scheduled and queue functions without a profile of their own: the nightly work on punches and exports.
JOB = Access(
    tables={
        names.TABLE_DIRECTORY: frozenset({'read', 'put', 'update'}),
        names.TABLE_PUNCHES: frozenset({'read', 'put'}),
        names.TABLE_AUDIT: frozenset({'read', 'put'}),
        names.TABLE_IDEMPOTENCY: ALL,
    },
    objects={
        (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_BRIDGES): frozenset({'get'}),
        (names.BUCKET_EXPORTS, names.EXPORTS_PREFIX): frozenset({'get', 'put'}),
    },
)
# The allowance jobs (day close, month close, finance export): read master data and punches, keep their own
# derived records, write finance files (never over: S3 If-None-Match, so no delete).
ALLOWANCE_JOB = Access(
    tables={
        names.TABLE_DIRECTORY: frozenset({'read'}),
        names.TABLE_PUNCHES: frozenset({'read'}),
        names.TABLE_ALLOWANCE: frozenset({'read', 'put', 'delete', 'batch_write'}),
    },
    objects={(names.BUCKET_EXPORTS, names.EXPORTS_PREFIX): frozenset({'get', 'put'})},
)
# By the function's kebab-case name (resource_names.function_name's `function`).
PROFILES: Mapping[str, Access] = {
    'api': API,
    'audit-verify': Access(tables={names.TABLE_AUDIT: frozenset({'read'})}),
    'close-day': ALLOWANCE_JOB,
    'close-month': ALLOWANCE_JOB,
    'export-tpp': ALLOWANCE_JOB,
    'reconcile': Access(
        tables={
            names.TABLE_DIRECTORY: frozenset({'read', 'put', 'update'}),
            names.TABLE_PUNCHES: frozenset({'read', 'put'}),
        },
        objects={
            (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_BRIDGES): frozenset({'get', 'list'}),
            (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_QUARANTINE): frozenset({'put'}),
        },
    ),
}


def profile_for(function: str) -> Access:
    return PROFILES.get(function, JOB)


@dataclass(frozen=True)
class Targets:
    """What the statements point at: names are the shared ones, so ARNs are built, not looked up."""

    stage: str
    bucket_suffix: str
    table_indexes: Mapping[str, tuple[str, ...]]  # table purpose -> GSI names
    media_key_arn: str
    collection_arn: str


def statements(
    stack: Stack,
    *,
    function_name: str,
    access: Access,
    targets: Targets,
    consumes: tuple[str, ...] = (),
    dead_letter_queue_arn: str | None = None,
) -> list[iam.PolicyStatement]:
    """The function's whole policy: its own log group, tracing, then exactly what `access` names."""
    result = [
        iam.PolicyStatement(
            actions=['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources=[arns.log_streams(stack, f'/aws/lambda/{function_name}')],
        ),
        # X-Ray has no resource-level permissions (justified in wildcards.py).
        iam.PolicyStatement(actions=['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources=['*']),
    ]
    for purpose, intents in sorted(access.tables.items()):
        table = names.table_name(targets.stage, purpose)
        actions = sorted(a for intent in intents for a in _TABLE_ACTIONS[intent])
        result.append(iam.PolicyStatement(actions=actions, resources=[arns.table(stack, table)]))
        indexes = targets.table_indexes.get(purpose, ())
        if 'read' in intents and indexes:
            result.append(
                iam.PolicyStatement(
                    actions=['dynamodb:Query'], resources=[arns.table_index(stack, table, i) for i in indexes]
                )
            )
    for (bucket, prefix), intents in sorted(access.objects.items()):
        name = names.bucket_name(targets.stage, bucket, targets.bucket_suffix)
        actions = sorted(_OBJECT_ACTIONS[i] for i in intents if i != 'list')
        if actions:
            result.append(iam.PolicyStatement(actions=actions, resources=[arns.s3_objects(name, prefix)]))
        if 'list' in intents:
            # Listing is a bucket action: the prefix condition keeps it to this prefix.
            result.append(
                iam.PolicyStatement(
                    actions=['s3:ListBucket'],
                    resources=[arns.s3_bucket(name)],
                    conditions={'StringLike': {'s3:prefix': [f'{prefix}*']}},
                )
            )
    media_intents = {
        i for (bucket, _), intents in access.objects.items() if bucket == names.BUCKET_MEDIA for i in intents
    }
    if media_intents:
        kms_actions = (['kms:Decrypt'] if 'get' in media_intents else []) + (
            ['kms:GenerateDataKey'] if 'put' in media_intents else []
        )
        result.append(iam.PolicyStatement(actions=kms_actions, resources=[targets.media_key_arn]))
    if access.faces:
        # DetectFaces/CompareFaces have no resource type (justified in wildcards.py).
        result.append(iam.PolicyStatement(actions=list(_FACE_CALLS), resources=['*']))
        result.append(iam.PolicyStatement(actions=list(_COLLECTION_CALLS), resources=[targets.collection_arn]))
    if consumes:
        result.append(iam.PolicyStatement(actions=list(_CONSUME), resources=[arns.queue(stack, q) for q in consumes]))
    if dead_letter_queue_arn is not None:
        result.append(iam.PolicyStatement(actions=['sqs:SendMessage'], resources=[dead_letter_queue_arn]))
    return result
