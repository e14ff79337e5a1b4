"""Finance's notice topic: the export job tells BPKAD a month's files are ready (e-mail subscription).

Its own KMS key (SNS encrypts at rest with it); only the export job may publish, and only to this topic
(access.py: 'export-tpp'), with the key's data-key and decrypt calls it needs for that.
"""

from __future__ import annotations

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.config import StageConfig

FINANCE_TOPIC = 'finance-notices'  # hadir-<stage>-finance-notices


class FinanceNotices(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            'TopicKey',
            description='Hadir finance notices topic',
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # encrypts notices in flight only; the files stay in S3
            pending_window=Duration.days(7),
        )
        self.topic = sns.Topic(
            self,
            'Topic',
            topic_name=names.resource_name(config.stage, FINANCE_TOPIC),
            display_name=f'Hadir {config.stage} TPP'[:100],
            master_key=self.key,
            enforce_ssl=True,
        )
        if config.finance_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.finance_email))
        else:
            Annotations.of(self).add_warning_v2(
                'hadir:finance-email',
                'No finance_email given (-c finance_email=...): nobody is told when the finance files are ready.',
            )
