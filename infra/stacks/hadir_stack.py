"""One stack per stage, composed from the constructs by concern."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Environment, Stack, Tags
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.access import Targets
from infra.stacks.api import ApiEdge
from infra.stacks.config import StageConfig
from infra.stacks.face_checks import FaceChecks
from infra.stacks.faces import FaceCollection
from infra.stacks.functions import HadirFunctions
from infra.stacks.ingestion import Ingestion
from infra.stacks.monitoring import Monitoring
from infra.stacks.notices import FinanceNotices
from infra.stacks.scheduling import Scheduling
from infra.stacks.storage import Storage
from infra.stacks.web import Web

EXPORT_FUNCTION = 'export-tpp'  # the finance export job (chalicelib/events/jobs.py)


class HadirStack(Stack):
    def __init__(self, scope: Construct, config: StageConfig) -> None:
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            env=Environment(account=config.account, region=config.region),
            description=f'Hadir e-attendance: {config.pemda} ({config.stage})',
            termination_protection=config.retain_data,
        )
        # S3 names are global: the account id keeps them unique (resource_names.bucket_name).
        bucket_suffix = config.account or Aws.ACCOUNT_ID
        self.storage = Storage(self, 'Storage', config=config, bucket_suffix=bucket_suffix)
        self.faces = FaceCollection(self, 'Faces', config=config)
        self.ingestion = Ingestion(
            self,
            'Ingestion',
            config=config,
            uploads=self.storage.uploads,
            uploads_name=self.storage.bucket_name(names.BUCKET_UPLOADS),
        )
        self.face_checks = FaceChecks(self, 'FaceChecks', config=config)
        self.scheduling = Scheduling(self, 'Scheduling', config=config)
        self.finance_notices = FinanceNotices(self, 'FinanceNotices', config=config)
        self.functions = HadirFunctions(
            self,
            'Functions',
            config=config,
            bucket_suffix=bucket_suffix,
            targets=Targets(
                stage=config.stage,
                bucket_suffix=bucket_suffix,
                table_indexes={s.purpose: tuple(i.name for i in s.indexes) for s in self.storage.specs},
                media_key_arn=self.storage.media_key.key_arn,
                collection_arn=self.faces.arn,
                rekognition_region=self.faces.region,
                finance_topic_arn=self.finance_notices.topic.topic_arn,
                finance_topic_key_arn=self.finance_notices.key.key_arn,
            ),
            queues={**self.ingestion.queues, **self.face_checks.queues},
            jobs_dead_letter_arn=self.scheduling.failed.queue_arn,
        )
        self.scheduling.attach(self.functions)
        self.api = ApiEdge(self, 'Api', config=config, functions=self.functions)
        self.web = Web(
            self,
            'Web',
            config=config,
            bucket_suffix=bucket_suffix,
            access_logs=self.storage.access_logs,
            api=self.api,
            image_hosts=self._selfie_hosts(config, bucket_suffix),
        )
        self._tell_finance(config)
        self.storage.allow_browser_uploads(self.web.url)
        self.monitoring = Monitoring(
            self,
            'Monitoring',
            config=config,
            functions=self.functions,
            api=self.api,
            ingestion=self.ingestion,
            face_checks=self.face_checks,
            scheduling=self.scheduling,
        )
        for key, value in (('hadir:pemda', config.pemda), ('hadir:stage', config.stage), ('hadir:zone', config.zone)):
            Tags.of(self).add(key, value)
        outputs = {
            'ApiUrl': f'https://{self.api.api_id}.execute-api.{self.region}.{Aws.URL_SUFFIX}/{self.api.stage_name}/',
            'WebUrl': self.web.url,
            'WebBucket': self.web.bucket.bucket_name,
            'AlarmTopic': self.monitoring.topic.topic_arn,
            'FinanceRole': self.storage.finance_role.role_arn,
            'FaceCollection': f'{self.faces.collection_id} ({self.faces.region})',
        }
        outputs['FinanceTopic'] = self.finance_notices.topic.topic_arn
        for output, value in outputs.items():
            CfnOutput(self, output, value=value)

    def _selfie_hosts(self, config: StageConfig, bucket_suffix: str) -> tuple[str, str]:
        """Where the review screens load selfies from (presigned GETs): boto3 signs them for the bucket's global
        virtual-hosted name, and S3 documents its regional one; the page may load either. Built from the shared
        name, not the bucket's attributes: the bucket's CORS names the distribution, whose headers name these."""
        media = names.bucket_name(config.stage, names.BUCKET_MEDIA, bucket_suffix)
        return f'{media}.s3.{self.region}.{Aws.URL_SUFFIX}', f'{media}.s3.{Aws.URL_SUFFIX}'

    def _tell_finance(self, config: StageConfig) -> None:
        """The export job's topic and the console's address, in its environment only: every other function's
        environment is shared through Chalice, and the API's cannot name the distribution in front of it."""
        (export,) = [f for f in self.functions.functions if f.name == EXPORT_FUNCTION]
        cfn = self.functions.resource(export.logical_id)
        cfn.add_property_override('Environment.Variables.HADIR_FINANCE_TOPIC_ARN', self.finance_notices.topic.topic_arn)
        cfn.add_property_override('Environment.Variables.HADIR_CONSOLE_URL', self.web.url)
