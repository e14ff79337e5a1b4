"""The stage's second stack, in the Rekognition region: the alarm on Rekognition's own throttling metric.

Rekognition publishes `AWS/Rekognition ThrottledCount` in the region it runs in, and a CloudWatch alarm reads
metrics of its own region only (CDK refuses anything else); its SNS action must be in that region too. So this
stack holds the alarm and an alarm topic of its own, with the same e-mail. No image or face data lives here:
the collection is managed from the home stack (faces.py). HadirStack depends on this stack, so deploying
`hadir-<stage>` deploys it first.
"""

from __future__ import annotations

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.config import StageConfig
from infra.stacks.monitoring import AlarmSet, alarm_topic, metric


class RekognitionRegionStack(Stack):
    def __init__(self, scope: Construct, config: StageConfig) -> None:
        stack_name = f'{config.stack_name}-rekognition'
        super().__init__(
            scope,
            stack_name,
            stack_name=stack_name,
            env=Environment(account=config.account, region=config.rekognition_region),
            description=f'Hadir e-attendance: {config.pemda} ({config.stage}), Rekognition-region alarms',
        )
        # Its own name: with rekognition_region equal to the home region, the two topics share a region.
        self.topic = alarm_topic(self, config, names.resource_name(config.stage, 'rekognition-alarms'))
        self.alarms = AlarmSet(self, config, self.topic)
        # No code emits the app's METRIC_REKOGNITION_THROTTLED yet; Rekognition's own count, without the
        # Operation dimension, covers every call of the account in this region (API and face-check consumer).
        self.throttled = self.alarms.add(
            # Not the home stack's former `-rekognition-throttled`: the two regions may be one (alarm names).
            names.resource_name(config.stage, 'rekognition-throttles'),
            f'Rekognition in {config.rekognition_region} is throttling face calls: check-ins wait in the queue',
            metric('AWS/Rekognition', 'ThrottledCount', {}, 'Sum'),
            threshold=config.alarm_thresholds['rekognition_throttled'],
        )
        for key, value in (('hadir:pemda', config.pemda), ('hadir:stage', config.stage), ('hadir:zone', config.zone)):
            Tags.of(self).add(key, value)
