"""Work queues a Chalice `@on_sqs_message` consumer reads: each with its dead-letter queue, both named by
resource_names, encrypted by SQS and reachable over TLS only."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.nag import acknowledge

MAX_RECEIVES = 5  # then the message waits in the dead-letter queue, with an alarm


@dataclass(frozen=True)
class WorkQueue:
    name: str
    queue: sqs.Queue
    dead_letters_name: str
    dead_letters: sqs.Queue
    visibility_timeout: int  # seconds
    # The consumer's event source ScalingConfig.MaximumConcurrency; None leaves Lambda's default.
    maximum_concurrency: int | None = None


def work_queue(
    scope: Construct,
    construct_id: str,
    *,
    stage: str,
    purpose: str,
    visibility_timeout: int,
    what: str,
    maximum_concurrency: int | None = None,
) -> WorkQueue:
    """The queue `construct_id` and its dead-letter queue `<construct_id>DeadLetters`, both in `scope`."""
    dead_letters_name = names.dead_letter_queue_name(stage, purpose)
    dead_letters = sqs.Queue(
        scope,
        f'{construct_id}DeadLetters',
        queue_name=dead_letters_name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    acknowledge(dead_letters, 'AwsSolutions-SQS3', f'This queue is the dead-letter queue of the {what} queue.')
    name = names.queue_name(stage, purpose)
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # A dead letter keeps its first enqueue time, so the DLQ must keep messages longer than this queue.
        retention_period=Duration.days(7),
        visibility_timeout=Duration.seconds(visibility_timeout),
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=dead_letters),
    )
    return WorkQueue(name, queue, dead_letters_name, dead_letters, visibility_timeout, maximum_concurrency)
