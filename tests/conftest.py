"""Environment first: pynamodb Meta and Powertools bind names when chalicelib is imported."""

from __future__ import annotations

import os

os.environ.update(
    {
        'HADIR_STAGE': 'test',
        'HADIR_REGION': 'ap-southeast-3',
        # The tiers written before liveness check in with one frame; test_liveness.py and the browser tests
        # (whose app always sends the frames) turn it on.
        'HADIR_LIVENESS_REQUIRED': 'false',
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        'AWS_SESSION_TOKEN': 'testing',
        'AWS_DEFAULT_REGION': 'ap-southeast-3',
        'POWERTOOLS_TRACE_DISABLED': '1',
        'POWERTOOLS_METRICS_DISABLED': '1',
        'POWERTOOLS_LOG_LEVEL': 'WARNING',
        'POWERTOOLS_SERVICE_NAME': 'hadir',
        'POWERTOOLS_METRICS_NAMESPACE': 'Hadir',
    }
)
os.environ.pop('HADIR_AWS_ENDPOINT_URL', None)
os.environ.pop('AWS_ENDPOINT_URL', None)
