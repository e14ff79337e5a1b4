"""The only wildcard IAM permissions and AWS managed policies Hadir accepts, each with its reason.

One list serves twice: infra/ acknowledges exactly these cdk-nag findings (AwsSolutions-IAM4/IAM5) with the
reason given here, and tests/infra checks every policy in the synthesised templates against it. A
wildcard that matches no entry fails both. Pure Python (no aws_cdk import).

Values are compared in cdk-nag's flattened form: `Ref` becomes `<Name>`, `Fn::GetAtt` `<Name.Attr>`,
`Fn::Join` is joined, `${X}` in `Fn::Sub` becomes `<X>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Justified:
    """Wildcards allowed for `actions` (regexes) when every wildcard resource matches `resource` (a regex)."""

    name: str
    actions: tuple[str, ...]
    resource: str
    reason: str
    kinds: tuple[str, ...] = ('identity',)  # identity policies, or the resource policy kinds ('key', ...)

    def allows(self, kind: str, action: str, wildcard_resources: Iterable[str]) -> bool:
        return (
            kind in self.kinds
            and any(re.fullmatch(p, action) for p in self.actions)
            and all(re.fullmatch(self.resource, r) for r in wildcard_resources)
        )


_PARTITION = r'arn:(<AWS::Partition>|aws[a-z-]*)'
_ACCOUNT = r'(\d{12}|<AWS::AccountId>)'
_REGION = r'([a-z0-9-]+|<AWS::Region>)'
_HADIR_BUCKET = r'hadir-[a-z]+-[a-z-]+-(\d{12}|<AWS::AccountId>|local)'

JUSTIFIED: tuple[Justified, ...] = (
    Justified(
        'xray-traces',
        (r'xray:PutTraceSegments', r'xray:PutTelemetryRecords'),
        r'\*',
        'X-Ray trace upload supports no resource-level permissions: AWS requires Resource "*".',
    ),
    Justified(
        'rekognition-stateless',
        (r'rekognition:DetectFaces', r'rekognition:CompareFaces'),
        r'\*',
        'DetectFaces and CompareFaces take image bytes and have no resource type: AWS requires Resource "*". '
        'The statement is pinned to the Rekognition region (aws:RequestedRegion); collection operations '
        '(SearchFacesByImage, IndexFaces, DeleteFaces) are granted on the collection ARN only.',
    ),
    Justified(
        'lambda-log-streams',
        (r'logs:CreateLogStream', r'logs:PutLogEvents'),
        rf'{_PARTITION}:logs:{_REGION}:{_ACCOUNT}:log-group:/aws/lambda/hadir-[a-z]+-[a-z0-9-]+:\*',
        "Lambda names a log stream per container at run time; the grant is limited to the function's own group.",
    ),
    Justified(
        'hadir-objects',
        (r's3:GetObject', r's3:GetObjectVersion', r's3:PutObject', r's3:DeleteObject'),
        rf'{_PARTITION}:s3:::{_HADIR_BUCKET}/([a-z]+/)?\*',
        'Object keys are generated per upload, selfie or export; the grant is one bucket, or one prefix of it.',
    ),
    Justified(
        'kms-key-policy',
        (r'kms:.*',),
        r'\*',
        'In a KMS key policy Resource "*" means the key itself (AWS requires it); the account root entry is the '
        'default key policy that lets IAM policies grant use of the key.',
        kinds=('key',),
    ),
    Justified(
        'cdk-bucket-deployment',
        (
            r's3:GetObject\*',
            r's3:GetBucket\*',
            r's3:List\*',
            r's3:DeleteObject\*',
            r's3:PutObject',
            r's3:PutObjectLegalHold',
            r's3:PutObjectRetention',
            r's3:PutObjectTagging',
            r's3:PutObjectVersionTagging',
            r's3:Abort\*',
        ),
        # the CDK asset bucket, or the web bucket (by its logical id under the Web construct)
        rf'({_PARTITION}:s3:::cdk-[a-z0-9]+-assets-{_ACCOUNT}-{_REGION}|<WebWebBucket[0-9A-F]{{8}}\.Arn>)/\*',
        "CDK's BucketDeployment syncs web/ from the CDK asset bucket into the web bucket (aws s3 sync needs "
        'these object actions); its role is scoped to those two buckets.',
    ),
    Justified(
        'cdk-bucket-deployment-invalidation',
        (r'cloudfront:CreateInvalidation', r'cloudfront:GetInvalidation'),
        r'\*',
        "CDK's BucketDeployment invalidates the web distribution after a deploy; its handler's policy is CDK's.",
    ),
    Justified(
        's3-server-access-logs',
        (r's3:PutObject',),
        r'<StorageAccessLogsBucket[0-9A-F]{8}\.Arn>/s3/[a-z-]+/\*',
        'Bucket policy of the access-log bucket: S3 log delivery writes log objects with generated names under '
        "each source bucket's prefix; the statement's conditions name that source bucket and this account.",
        kinds=('bucket',),
    ),
    Justified(
        'cloudfront-reads-web-app',
        (r's3:GetObject',),
        r'<WebWebBucket[0-9A-F]{8}\.Arn>/\*',
        "Bucket policy of the web bucket: CloudFront (origin access control) reads the PWA's files; the "
        "statement's condition names this distribution.",
        kinds=('bucket',),
    ),
)

# AWS managed policies (AwsSolutions-IAM4), in cdk-nag's flattened form.
MANAGED_POLICIES: Mapping[str, str] = {
    'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': (
        "CDK's own provider functions (the Rekognition collection custom resource, web deployment) write only "
        'their logs with it; Hadir functions have their own inline policies.'
    ),
    'arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs': (
        "The documented policy of API Gateway's account-level CloudWatch role, needed for access and execution logging."
    ),
}


def flatten(value: Any) -> str:
    """cdk-nag's flattenCfnReference, ported: a CloudFormation value as one string."""
    if value is None:
        return ''
    if isinstance(value, str):
        return value.replace('${', '<').replace('}', '>')
    if isinstance(value, dict):
        if 'Fn::Join' in value:
            delimiter, items = value['Fn::Join']
            return str(delimiter).join(flatten(item) for item in items)
        if 'Fn::Sub' in value:
            sub = value['Fn::Sub']
            return flatten(sub[0] if isinstance(sub, list) else sub)
        if 'Fn::GetAtt' in value:
            resource, attribute = value['Fn::GetAtt']
            return f'<{flatten(resource)}.{flatten(attribute)}>'
        if 'Fn::ImportValue' in value:
            return flatten(value['Fn::ImportValue'])
        if 'Ref' in value:
            return f'<{flatten(value["Ref"])}>'
    return json.dumps(value, separators=(',', ':'))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Finding:
    """One wildcard statement: its cdk-nag finding ids, and the entries that justify it (empty: unjustified)."""

    finding_ids: tuple[str, ...]
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    justified_by: tuple[Justified, ...]

    @property
    def reason(self) -> str:
        return ' '.join(j.reason for j in self.justified_by)


def justify(kind: str, actions: Iterable[str], resources: Iterable[str]) -> tuple[Justified, ...]:
    """The entries that together allow every action of a statement (CDK may merge statements); () if none do."""
    wildcard_resources = [r for r in resources if '*' in r]
    used: list[Justified] = []
    for action in actions:
        entry = next((j for j in JUSTIFIED if j.allows(kind, action, wildcard_resources)), None)
        if entry is None:
            return ()
        if entry not in used:
            used.append(entry)
    return tuple(used)


def wildcard_findings(document: Mapping[str, Any], kind: str = 'identity') -> Iterator[Finding]:
    """Each Allow statement of a policy document that holds a wildcard action or resource.

    `kind` is 'identity' for IAM policies, else the resource policy's kind ('key', 'bucket', 'queue', 'topic').
    """
    for statement in _as_list(document.get('Statement', [])):
        if statement.get('Effect') != 'Allow':
            continue
        actions = tuple(str(a) for a in _as_list(statement.get('Action', [])))
        resources = tuple(flatten(r) for r in _as_list(statement.get('Resource', [])))
        ids = tuple(f'Action::{a}' for a in actions if '*' in a) + tuple(
            f'Resource::{r}' for r in resources if '*' in r
        )
        if ids:
            yield Finding(ids, actions, resources, justify(kind, actions, resources))


def managed_policy_reason(arn: Any) -> tuple[str, str | None]:
    """The flattened ARN of a managed policy and the reason it is accepted (None: not accepted)."""
    flat = flatten(arn)
    return flat, MANAGED_POLICIES.get(flat)
