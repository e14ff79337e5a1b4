"""Alarms, all to one encrypted SNS topic with the pemda's alarm e-mail (Rekognition's: rekognition_region.py)."""

from __future__ import annotations

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.api import ApiEdge
from infra.stacks.config import StageConfig
from infra.stacks.face_checks import FaceChecks
from infra.stacks.functions import HadirFunctions
from infra.stacks.ingestion import Ingestion
from infra.stacks.scheduling import Scheduling

FIVE_MINUTES = Duration.minutes(5)


def alarm_topic(scope: Construct, config: StageConfig, topic_name: str) -> sns.Topic:
    """An SNS topic for alarms in `scope`'s region: its own KMS key (which CloudWatch may use), the alarm e-mail."""
    key = kms.Key(
        scope,
        'AlarmTopicKey',
        description='Hadir alarm topic',
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,  # encrypts alarm messages in flight only; nothing to keep
        pending_window=Duration.days(7),
    )
    # CloudWatch publishes to an encrypted topic only if the key lets it.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal('cloudwatch.amazonaws.com')],
            actions=['kms:Decrypt', 'kms:GenerateDataKey'],
            resources=['*'],
        )
    )
    topic = sns.Topic(
        scope,
        'AlarmTopic',
        topic_name=topic_name,
        display_name=f'Hadir {config.stage}'[:100],
        master_key=key,
        enforce_ssl=True,
    )
    if config.alarm_email:
        topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
    else:
        Annotations.of(scope).add_warning_v2(
            'hadir:alarm-email', 'No alarm_email given (-c alarm_email=...): alarms reach no one.'
        )
    return topic


def metric(
    namespace: str, name: str, dimensions: dict[str, str], statistic: str, period: Duration = FIVE_MINUTES
) -> cw.Metric:
    return cw.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dimensions, statistic=statistic, period=period
    )


class AlarmSet:
    """Alarms created in one scope, each notifying `topic` when it fires and when it clears."""

    def __init__(self, scope: Construct, config: StageConfig, topic: sns.Topic) -> None:
        self.scope = scope
        self.config = config
        self.action = cw_actions.SnsAction(topic)
        self.alarms: list[cw.Alarm] = []

    def add(self, name: str, description: str, watched: cw.Metric, *, threshold: float) -> cw.Alarm:
        alarm = cw.Alarm(
            self.scope,
            name,
            alarm_name=name,
            alarm_description=f'{description} ({self.config.pemda}, {self.config.stage})',
            metric=watched,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # The app's metrics appear only when there is something to report.
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        self.alarms.append(alarm)
        return alarm


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: HadirFunctions,
        api: ApiEdge,
        ingestion: Ingestion,
        face_checks: FaceChecks,
        scheduling: Scheduling,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.topic = alarm_topic(self, config, names.resource_name(config.stage, 'alarms'))
        self._alarms = AlarmSet(self, config, self.topic)
        self.alarms = self._alarms.alarms

        for function in functions.functions:
            self._alarm(
                f'{function.function_name}-errors',
                f'{function.function_name} raised errors',
                metric('AWS/Lambda', 'Errors', {'FunctionName': function.function_name}, 'Sum'),
                threshold=1,
            )
        self._alarm(
            f'{api.api_name}-5xx',
            'The API answered with server errors',
            metric('AWS/ApiGateway', '5XXError', {'ApiName': api.api_name, 'Stage': api.stage_name}, 'Sum'),
            threshold=5,
        )
        face_queue = face_checks.work_queue
        dead_letters = (
            (ingestion.dead_letters, ingestion.dead_letters_name, 'device-log messages'),
            (face_queue.dead_letters, face_queue.dead_letters_name, 'face checks of check-ins still pending'),
            (scheduling.failed, scheduling.failed_name, 'failed scheduled jobs'),
        )
        for queue, queue_name, what in dead_letters:
            self._alarm(
                f'{queue_name}-depth',
                f'Dead letters waiting: {what}',
                queue.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic='Maximum'),
                threshold=1,
            )
        thresholds = config.alarm_thresholds
        consumed = {queue for function in functions.consumers for queue in function.queues()}
        if ingestion.queue_name in consumed:
            self._alarm(
                f'{ingestion.queue_name}-age',
                'Device logs wait in the queue: ingestion is falling behind',
                ingestion.queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic='Maximum'),
                threshold=thresholds['queue_age_seconds'],
            )
        self._alarm(
            f'{face_queue.name}-age',
            'Face checks wait in the queue: pending check-ins are not being verified',
            face_queue.queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic='Maximum'),
            threshold=thresholds['face_check_age_seconds'],
        )
        app_metrics = (
            (
                'reconcile-lag',
                names.METRIC_RECONCILE_LAG,
                'Maximum',
                'reconcile_lag_seconds',
                'Reconcile is falling behind',
            ),
            ('machines-offline', names.METRIC_MACHINES_OFFLINE, 'Maximum', 'machines_offline', 'Machines are offline'),
        )
        for suffix, metric_name, statistic, threshold, description in app_metrics:
            self._alarm(
                names.resource_name(config.stage, suffix),
                description,
                self._app_metric(metric_name, statistic),
                threshold=thresholds[threshold],
            )
        self._alarm(
            names.resource_name(config.stage, 'audit-chain-broken'),
            'The nightly audit verification found a broken link in the audit chain',
            self._app_metric(names.METRIC_AUDIT_CHAIN_BROKEN, 'Maximum', period=Duration.days(1)),
            threshold=1,
        )

    def _app_metric(self, name: str, statistic: str, period: Duration = FIVE_MINUTES) -> cw.Metric:
        # Powertools Metrics adds the service dimension to every metric the app emits.
        return metric(names.METRICS_NAMESPACE, name, {'service': names.APP_NAME}, statistic, period)

    def _alarm(self, name: str, description: str, watched: cw.Metric, *, threshold: float) -> cw.Alarm:
        return self._alarms.add(name, description, watched, threshold=threshold)
