"""EventBridge schedules of the Chalice `@schedule` functions: at the pemda's local time, failures kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.config import StageConfig
from infra.stacks.cron import shift_schedule
from infra.stacks.nag import acknowledge

if TYPE_CHECKING:
    from infra.stacks.functions import HadirFunctions


class Scheduling(Construct):
    """Chalice turns each `@schedule(Cron(...))` into a SAM Schedule event; this construct

    - moves each cron (written for WIB in resource_names) to the pemda's zone,
    - names each EventBridge rule after its function, and
    - sends invocations that still fail after Lambda's two retries to a dead-letter queue (with an alarm),
      so a missed nightly close is seen the next morning instead of silently lost.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.failed_name = names.queue_name(config.stage, names.QUEUE_JOBS_FAILED)
        self.failed = sqs.Queue(
            self,
            'JobsFailed',
            queue_name=self.failed_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.failed,
            'AwsSolutions-SQS3',
            "This queue is the scheduled functions' dead-letter queue (Lambda's on-failure target); operators "
            'read it after the alarm, so it needs no dead-letter queue of its own.',
        )
        self.schedules: dict[str, list[str]] = {}

    def attach(self, functions: HadirFunctions) -> None:
        for function in functions.scheduled:
            cfn = functions.resource(function.logical_id)
            schedules = [(n, e) for n, e in function.events.items() if e['Type'] == 'Schedule']
            for index, (event_name, event) in enumerate(schedules):
                rule_name = function.function_name + (f'-{index}' if index else '')
                expression = shift_schedule(event['Properties']['Schedule'], self.config.zone_shift_hours)
                path = f'Events.{event_name}.Properties'
                cfn.add_property_override(f'{path}.Schedule', expression)
                cfn.add_property_override(f'{path}.Name', rule_name)
                cfn.add_property_override(
                    f'{path}.Description', f'Hadir {function.name}, local time {self.config.zone}'
                )
                self.schedules.setdefault(function.function_name, []).append(expression)
            cfn.add_property_override('DeadLetterQueue', {'Type': 'SQS', 'TargetArn': self.failed.queue_arn})
