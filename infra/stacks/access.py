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
# Rekognition calls by intent, as chalicelib/adapters/rekognition.py makes them: the quality gate and the 1:1
# comparison (no resource type), and enrolment on the one collection (duplicate search, index, forget).
_FACE_ACTIONS = {
    'compare': ('rekognition:CompareFaces', 'rekognition:DetectFaces'),
    'collection': ('rekognition:DeleteFaces', 'rekognition:IndexFaces', 'rekognition:SearchFacesByImage'),
}
_CONSUME = ('sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes')
# chalicelib/adapters/sqs.py looks the queue URL up by name, then sends.
_SEND = ('sqs:GetQueueUrl', 'sqs:SendMessage')
ALL = frozenset({'read', 'put', 'update', 'delete'})
# Verify looks anchors up by key, most of them absent (services.audit.latest_anchor): without s3:ListBucket, S3
# answers an absent key with 403 AccessDenied instead of 404, so readers may list the anchors prefix (names only).
ANCHOR_READ = frozenset({'get', 'list'})


@dataclass(frozen=True)
class Access:
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)  # table purpose -> intents
    objects: Mapping[tuple[str, str], frozenset[str]] = field(
        default_factory=dict
    )  # (bucket, prefix) -> get/put/delete
    faces: frozenset[str] = frozenset()  # 'compare', 'collection'
    sends: tuple[str, ...] = ()  # queue purposes of resource_names.QUEUES the function sends to
    notices: bool = False  # publishes to finance's notice topic (notices.py), and nothing else of SNS


API = Access(
    tables={
        # put_many (employee import, check-in records) is a BatchWriteItem.
        names.TABLE_DIRECTORY: ALL | {'batch_write'},
        names.TABLE_PUNCHES: frozenset({'read', 'put'}),
        names.TABLE_AUDIT: frozenset({'read', 'put'}),
        names.TABLE_IDEMPOTENCY: ALL,  # Powertools idempotency, and device nonces (conditional PutItem)
        names.TABLE_ALLOWANCE: frozenset({'read'}),  # export listings
    },
    objects={
        (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_BRIDGES): frozenset({'put'}),  # presigned PUT for bridges
        # Selfies are written once, read back for review; the review queue's presigned GET is signed by this role.
        (names.BUCKET_MEDIA, names.MEDIA_PREFIX_SELFIES): frozenset({'get', 'put'}),
        (names.BUCKET_MEDIA, names.MEDIA_PREFIX_FACES): frozenset({'get', 'put'}),
        (names.BUCKET_EXPORTS, names.EXPORTS_PREFIX): frozenset({'get', 'put'}),
        (names.BUCKET_ANCHORS, names.ANCHORS_PREFIX_AUDIT): ANCHOR_READ,  # POST /v1/audit/verify
    },
    faces=frozenset({'compare', 'collection'}),
    sends=(names.QUEUE_FACE_CHECKS,),  # check-ins Rekognition was too busy for
)
# The face-check consumer: compares the queued selfie with the enrolled face, decides, punches if accepted
# (a late punch marks its day for recomputation: put_many), and re-queues what Rekognition refuses again.
FACE_CHECKS = Access(
    tables={
        names.TABLE_DIRECTORY: frozenset({'read', 'put', 'batch_write'}),
        names.TABLE_PUNCHES: frozenset({'put'}),  # one conditional put per accepted check-in
    },
    objects={
        (names.BUCKET_MEDIA, names.MEDIA_PREFIX_SELFIES): frozenset({'get'}),
        (names.BUCKET_MEDIA, names.MEDIA_PREFIX_FACES): frozenset({'get'}),
    },
    faces=frozenset({'compare'}),
    sends=(names.QUEUE_FACE_CHECKS,),
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
# The day close also removes the re-close markers it has handled (a transaction delete in the directory),
# and writes its per-zone close markers and the re-close markers of night shifts still open (batch writes).
CLOSE_DAY = Access(
    tables={**ALLOWANCE_JOB.tables, names.TABLE_DIRECTORY: frozenset({'read', 'delete', 'batch_write'})},
    objects=ALLOWANCE_JOB.objects,
)
# By the function's kebab-case name (resource_names.function_name's `function`).
PROFILES: Mapping[str, Access] = {
    'api': API,
    'audit-verify': Access(
        tables={names.TABLE_AUDIT: frozenset({'read'})},
        objects={(names.BUCKET_ANCHORS, names.ANCHORS_PREFIX_AUDIT): ANCHOR_READ},
    ),
    # The hourly anchor: reads the chain's head, writes this hour's anchor once (If-None-Match; a second run in the
    # same hour reads the first back). Never deletes: Object Lock would refuse it anyway.
    'anchor-audit': Access(
        tables={names.TABLE_AUDIT: frozenset({'read'})},
        objects={(names.BUCKET_ANCHORS, names.ANCHORS_PREFIX_AUDIT): frozenset({'get', 'put'})},
    ),
    'close-day': CLOSE_DAY,
    # The month close also removes the close requests it has handled (a transaction delete in the directory).
    'close-month': Access(
        tables={**ALLOWANCE_JOB.tables, names.TABLE_DIRECTORY: frozenset({'read', 'delete'})},
        objects=ALLOWANCE_JOB.objects,
    ),
    # The finance export also tells finance the files are ready (one SNS topic, its KMS key).
    'export-tpp': Access(tables=ALLOWANCE_JOB.tables, objects=ALLOWANCE_JOB.objects, notices=True),
    'reconcile': Access(
        tables={
            # Unmapped-punch index and re-close markers: put_many (batch) and removal once mapped.
            names.TABLE_DIRECTORY: frozenset({'read', 'put', 'update', 'delete', 'batch_write'}),
            # Machine uploads: BatchGet + BatchWrite; a later PIN mapping updates the owner fields.
            names.TABLE_PUNCHES: frozenset({'read', 'put', 'update', 'batch_write'}),
        },
        objects={
            (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_BRIDGES): frozenset({'get', 'list'}),
            (names.BUCKET_UPLOADS, names.UPLOADS_PREFIX_QUARANTINE): frozenset({'put'}),
        },
    ),
    # Count reconciliation and the per-OPD machine summary: reads machines, heartbeats and every OPD's punches of
    # the day; keeps its checks and summaries (put_many: a batch); opens backfills with their audit entries.
    'machine-summary': Access(
        tables={
            names.TABLE_DIRECTORY: frozenset({'read', 'put', 'batch_write'}),
            names.TABLE_PUNCHES: frozenset({'read'}),
            names.TABLE_AUDIT: frozenset({'read', 'put'}),
        },
    ),
    # The yearly holiday import: reads the holidays and tombstones, adds the missing days with their audit entry
    # (a transaction of puts), and marks the past ones for re-close (put_many: a batch).
    'import-holidays': Access(
        tables={
            names.TABLE_DIRECTORY: frozenset({'read', 'put', 'batch_write'}),
            names.TABLE_AUDIT: frozenset({'read', 'put'}),
        },
    ),
    # Re-queues pending check-ins whose message was lost: lists them, sends.
    'sweep-face-checks': Access(tables={names.TABLE_DIRECTORY: frozenset({'read'})}, sends=(names.QUEUE_FACE_CHECKS,)),
    'verify-face-checks': FACE_CHECKS,
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
    rekognition_region: str
    finance_topic_arn: str | None = None
    finance_topic_key_arn: str | None = None


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
    if 'compare' in access.faces:
        # No resource type (justified in wildcards.py): the condition keeps the calls to the Rekognition region.
        result.append(
            iam.PolicyStatement(
                actions=list(_FACE_ACTIONS['compare']),
                resources=['*'],
                conditions={'StringEquals': {'aws:RequestedRegion': targets.rekognition_region}},
            )
        )
    if 'collection' in access.faces:
        collection_calls = list(_FACE_ACTIONS['collection'])
        result.append(iam.PolicyStatement(actions=collection_calls, resources=[targets.collection_arn]))
    if consumes:
        result.append(iam.PolicyStatement(actions=list(_CONSUME), resources=[arns.queue(stack, q) for q in consumes]))
    if access.sends:
        queues = [arns.queue(stack, names.queue_name(targets.stage, purpose)) for purpose in access.sends]
        result.append(iam.PolicyStatement(actions=list(_SEND), resources=queues))
    if access.notices:
        if targets.finance_topic_arn is None or targets.finance_topic_key_arn is None:
            raise ValueError(f'{function_name} publishes finance notices, but no finance topic was given')
        result.append(iam.PolicyStatement(actions=['sns:Publish'], resources=[targets.finance_topic_arn]))
        # SNS encrypts the message with the topic's key on the publisher's behalf.
        result.append(
            iam.PolicyStatement(
                actions=['kms:Decrypt', 'kms:GenerateDataKey'], resources=[targets.finance_topic_key_arn]
            )
        )
    if dead_letter_queue_arn is not None:
        result.append(iam.PolicyStatement(actions=['sqs:SendMessage'], resources=[dead_letter_queue_arn]))
    return result
