"""DynamoDB tables and S3 buckets (uploads, media, exports, audit anchors, access logs), and the finance role."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks import arns
from infra.stacks.config import StageConfig
from infra.stacks.nag import acknowledge
from infra.stacks.tables import Key, table_specs

_ATTRIBUTE_TYPES = {
    'S': dynamodb.AttributeType.STRING,
    'N': dynamodb.AttributeType.NUMBER,
    'B': dynamodb.AttributeType.BINARY,
}


def _attribute(key: Key | None) -> dynamodb.Attribute | None:
    return None if key is None else dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, bucket_suffix: str) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.bucket_suffix = bucket_suffix
        self._removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.specs = table_specs()
        self.tables = self._tables()
        self.access_logs = self._access_logs_bucket()
        self.uploads = self._uploads_bucket()
        self.media_key, self.media = self._media_bucket()
        self.exports = self._exports_bucket()
        self.anchors = self._anchors_bucket()
        self.finance_role = self._finance_role()

    def bucket_name(self, purpose: str) -> str:
        return names.bucket_name(self.config.stage, purpose, self.bucket_suffix)

    def allow_browser_uploads(self, origin: str) -> None:
        """The PWA PUTs selfies straight to the media bucket with presigned URLs, from its own origin only."""
        self.media.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET],
            allowed_origins=[origin],
            allowed_headers=['content-type', 'x-amz-*'],
            max_age=3000,
        )

    def _tables(self) -> dict[str, dynamodb.Table]:
        tables = {}
        for spec in self.specs:
            table = dynamodb.Table(
                self,
                f'{spec.purpose.title()}Table',
                table_name=names.table_name(self.config.stage, spec.purpose),
                partition_key=_attribute(spec.partition_key),
                sort_key=_attribute(spec.sort_key),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=self.config.retain_data,
                removal_policy=self._removal,
                time_to_live_attribute=spec.ttl_attribute,
            )
            for index in spec.indexes:
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key),
                    projection_type=dynamodb.ProjectionType(index.projection),
                )
            tables[spec.purpose] = table
        return tables

    def _bucket(self, construct_id: str, purpose: str, **kwargs: object) -> s3.Bucket:
        # Buckets are kept on `cdk destroy` in every stage: machine logs, faces and finance files are evidence.
        defaults: dict[str, object] = {
            'bucket_name': self.bucket_name(purpose),
            'block_public_access': s3.BlockPublicAccess.BLOCK_ALL,
            'enforce_ssl': True,
            'encryption': s3.BucketEncryption.S3_MANAGED,
            'removal_policy': RemovalPolicy.RETAIN,
        }
        if purpose != names.BUCKET_ACCESS_LOGS:
            defaults['server_access_logs_bucket'] = self.access_logs
            defaults['server_access_logs_prefix'] = f's3/{purpose}/'
        return s3.Bucket(self, construct_id, **{**defaults, **kwargs})  # type: ignore[arg-type]

    def _access_logs_bucket(self) -> s3.Bucket:
        bucket = self._bucket(
            'AccessLogsBucket',
            names.BUCKET_ACCESS_LOGS,
            # CloudFront's standard logs are delivered with ACLs; S3 server access logs use the bucket policy.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(id='expire-logs', expiration=Duration.days(365 if self.config.retain_data else 90))
            ],
        )
        acknowledge(bucket, 'AwsSolutions-S1', 'This is the access-log bucket: logging it into itself would loop.')
        return bucket

    def _uploads_bucket(self) -> s3.Bucket:
        expiry = self.config.upload_expiry_days
        return self._bucket(
            'UploadsBucket',
            names.BUCKET_UPLOADS,
            versioned=True,  # a re-upload under the same key keeps the earlier file: nothing is lost
            lifecycle_rules=[
                s3.LifecycleRule(
                    id='bridges-to-cheaper-storage',
                    prefix=names.UPLOADS_PREFIX_BRIDGES,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(30)
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(180),
                        ),
                    ]
                    if expiry is None or expiry > 180
                    else [],
                    expiration=Duration.days(expiry) if expiry else None,
                ),
                s3.LifecycleRule(
                    id='old-versions-and-aborted-uploads',
                    noncurrent_version_expiration=Duration.days(90),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
        )

    def _media_bucket(self) -> tuple[kms.Key, s3.Bucket]:
        key = kms.Key(
            self,
            'MediaKey',
            alias=f'alias/{names.resource_name(self.config.stage, names.BUCKET_MEDIA)}',
            description='Hadir selfies and reference faces',
            enable_key_rotation=True,
            removal_policy=self._removal,
            pending_window=Duration.days(30 if self.config.retain_data else 7),
        )
        retention = self.config.selfie_retention_days
        bucket = self._bucket(
            'MediaBucket',
            names.BUCKET_MEDIA,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,  # one KMS call per bucket key, not per selfie
            lifecycle_rules=[
                s3.LifecycleRule(
                    id='selfies-by-retention-policy',
                    prefix=names.MEDIA_PREFIX_SELFIES,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(30)
                        )
                    ]
                    if retention > 60
                    else [],
                    expiration=Duration.days(retention),
                ),
                s3.LifecycleRule(id='aborted-uploads', abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
        )
        return key, bucket

    def _exports_bucket(self) -> s3.Bucket:
        lock_days = self.config.export_lock_days
        return self._bucket(
            'ExportsBucket',
            names.BUCKET_EXPORTS,
            versioned=True,
            object_lock_enabled=True,
            # Governance mode: a finance file cannot be replaced or deleted unseen; a deliberate, logged
            # s3:BypassGovernanceRetention by an administrator is the only way around it.
            object_lock_default_retention=s3.ObjectLockRetention.governance(Duration.days(lock_days)),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id='exports-to-cheaper-storage',
                    prefix=names.EXPORTS_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(90),
                        )
                    ]
                    if lock_days > 90
                    else [],
                    noncurrent_version_expiration=Duration.days(lock_days + 1),
                ),
            ],
        )

    def _anchors_bucket(self) -> s3.Bucket:
        """The audit chain's head, one object per hour (services.audit, docs/audit.md), written once and kept.

        Compliance mode where data is retained (prod): nobody, the account root included, can delete or shorten
        the retention of an anchor before it ends. Governance in the other stages, so that a test stack's anchors
        can still be removed by an administrator who bypasses it on purpose (a logged call). Anchors are kept as
        long as the finance files they vouch for. Object Lock keeps every version, but a reader gets the newest:
        the bucket policy therefore refuses any PutObject without If-None-Match, so an anchor cannot be replaced
        by a newer version either, even by a principal allowed to write.
        """
        days = Duration.days(self.config.export_lock_days)
        bucket = self._bucket(
            'AnchorsBucket',
            names.BUCKET_ANCHORS,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(days)
            if self.config.retain_data
            else s3.ObjectLockRetention.governance(days),
            lifecycle_rules=[
                s3.LifecycleRule(id='aborted-uploads', abort_incomplete_multipart_upload_after=Duration.days(1))
            ],
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid='AnchorsAreWrittenOnce',
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=['s3:PutObject'],
                resources=[bucket.arn_for_objects('*')],
                conditions={'Null': {'s3:if-none-match': 'true'}},
            )
        )
        return bucket

    def _finance_role(self) -> iam.Role:
        """BPKAD's role: read the finance CSVs under exports/ and nothing else."""
        bucket = self.bucket_name(names.BUCKET_EXPORTS)
        return iam.Role(
            self,
            'FinanceRole',
            role_name=names.resource_name(self.config.stage, 'finance-exports'),
            description='Finance (BPKAD): read the exported TPP files under exports/ only',
            assumed_by=iam.AccountRootPrincipal(),
            max_session_duration=Duration.hours(1),
            inline_policies={
                'read-exports': iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=['s3:GetObject', 's3:GetObjectVersion'],
                            resources=[arns.s3_objects(bucket, names.EXPORTS_PREFIX)],
                        ),
                        iam.PolicyStatement(
                            actions=['s3:ListBucket'],
                            resources=[arns.s3_bucket(bucket)],
                            conditions={
                                'StringLike': {'s3:prefix': [names.EXPORTS_PREFIX, f'{names.EXPORTS_PREFIX}*']}
                            },
                        ),
                    ]
                )
            },
        )
