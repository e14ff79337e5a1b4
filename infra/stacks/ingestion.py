"""Machine-log ingestion: S3 uploads under bridges/ -> SQS (with a dead-letter queue)."""

from __future__ import annotations

from aws_cdk import Aws, CfnResource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks import arns
from infra.stacks.config import StageConfig, chalice_setting
from infra.stacks.queues import WorkQueue, work_queue


class Ingestion(Construct):
    """The queue a Chalice `@on_sqs_message(queue=...)` consumer reads; it is fed by the uploads bucket.

    The notification is written on the bucket itself (no CDK custom resource), which works because the
    queue policy names the bucket by its shared name rather than by reference: no dependency cycle.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, uploads: s3.Bucket, uploads_name: str
    ) -> None:
        super().__init__(scope, construct_id)
        stage = config.stage
        timeout = int(chalice_setting(stage, 'lambda_timeout', 60))
        # AWS's advice for Lambda event sources: at least six times the function's timeout.
        self.visibility_timeout = 6 * timeout
        self.work_queue = work_queue(
            self,
            'DeviceLogs',
            stage=stage,
            purpose=names.QUEUE_DEVICE_LOGS,
            visibility_timeout=self.visibility_timeout,
            what='device-log',
        )
        self.queue_name, self.queue = self.work_queue.name, self.work_queue.queue
        self.dead_letters_name, self.dead_letters = self.work_queue.dead_letters_name, self.work_queue.dead_letters
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal('s3.amazonaws.com')],
                actions=['sqs:SendMessage'],
                resources=[self.queue.queue_arn],
                conditions={
                    'ArnEquals': {'aws:SourceArn': arns.s3_bucket(uploads_name)},
                    'StringEquals': {'aws:SourceAccount': Aws.ACCOUNT_ID},
                },
            )
        )
        bucket = uploads.node.default_child
        assert isinstance(bucket, CfnResource)
        bucket.add_property_override(
            'NotificationConfiguration.QueueConfigurations',
            [
                {
                    'Event': 's3:ObjectCreated:*',
                    'Queue': self.queue.queue_arn,
                    'Filter': {'S3Key': {'Rules': [{'Name': 'prefix', 'Value': names.UPLOADS_PREFIX_BRIDGES}]}},
                }
            ],
        )
        # S3 checks that it may send to the queue when the notification is written.
        queue_policy = self.queue.node.find_child('Policy').node.default_child
        assert isinstance(queue_policy, CfnResource)
        bucket.add_resource_dependency(queue_policy)

    @property
    def queues(self) -> dict[str, WorkQueue]:
        return {self.queue_name: self.work_queue}
