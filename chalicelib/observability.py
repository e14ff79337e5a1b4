"""The single Logger, Tracer and Metrics of the app."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.tracing import Tracer

SERVICE = 'hadir'
NAMESPACE = 'Hadir'

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)


def tracing_enabled() -> bool:
    """Powertools' own rule: on in Lambda, off outside it, in SAM or Chalice local, or with POWERTOOLS_TRACE_DISABLED.

    Asked before the Tracer is built, because building one (even disabled) imports the X-Ray SDK, whose recorder
    creates botocore clients: about a fifth of a second of the cold start of a function that does not trace.
    """
    return not Tracer._is_tracer_disabled()  # pinned aws-lambda-powertools (requirements.txt)


@lru_cache(maxsize=1)
def get_tracer() -> Tracer:
    return Tracer(service=SERVICE)
