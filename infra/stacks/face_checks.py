"""Mobile check-in's queue: check-ins whose face Rekognition was too busy to compare, verified later."""

from __future__ import annotations

from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.config import StageConfig, chalice_setting
from infra.stacks.queues import WorkQueue, work_queue


class FaceChecks(Construct):
    """The queue `chalicelib/events/face_checks.py` consumes (`@on_sqs_message`, function verify-face-checks).

    The API function sends a check-in here when Rekognition throttles, the consumer sends it back with a
    delay when Rekognition throttles again, and the sweep job re-sends pending check-ins whose message was
    lost. Chalice names the queue in the event source; functions.py points that at this queue by reference,
    so CloudFormation creates the queue before the event source mapping.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        timeout = int(chalice_setting(config.stage, 'lambda_timeout', 60))
        self.work_queue = work_queue(
            self,
            'Queue',
            stage=config.stage,
            purpose=names.QUEUE_FACE_CHECKS,
            # AWS's advice for Lambda event sources: at least six times the function's timeout.
            visibility_timeout=6 * timeout,
            what='face-check',
            maximum_concurrency=config.face_check_max_concurrency,  # why this and not reserved: config.py
        )

    @property
    def queues(self) -> dict[str, WorkQueue]:
        return {self.work_queue.name: self.work_queue}
