"""The queue consumer for check-ins whose face the engine was too busy to compare: it compares them now, at
the pace the queue's concurrency allows, and re-queues with a delay whatever is refused again."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, SQSEvent

from chalicelib import resource_names as names
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
FACE_CHECKS_QUEUE = names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS)
BATCH_SIZE = 5


def verify_messages(bodies: list[str]) -> dict[str, int]:
    """Shared by the Lambda handler and the local stack's poller."""
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    outcomes: dict[str, int] = {}
    mobile = get_mobile()
    for body in bodies:
        try:
            checkin_id = str(json.loads(body)['checkin_id'])
        except (ValueError, KeyError, TypeError):
            logger.error('face-check message without a checkin_id dropped', extra={'body': body[:200]})
            outcomes['malformed'] = outcomes.get('malformed', 0) + 1
            continue
        outcome = checkins.verify_queued(mobile, checkin_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@bp.on_sqs_message(queue=FACE_CHECKS_QUEUE, batch_size=BATCH_SIZE)
def verify_face_checks(event: SQSEvent) -> dict[str, Any]:
    outcomes = verify_messages([record.body for record in event])
    logger.info('face checks verified', extra={'outcomes': outcomes})
    if outcomes.get('requeued'):
        metrics.add_metric(name=names.METRIC_REKOGNITION_THROTTLED, unit=MetricUnit.Count, value=outcomes['requeued'])
    return outcomes
