"""The one place that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import resource_names as names

ENV_PREFIX = 'HADIR_'


class Settings(BaseModel):
    """Every setting, each read from ``HADIR_<NAME>`` (any case) by ``from_environment``; values are validated
    from their text as pydantic reads strings (``60``, ``true``, ``2020-01-01``). A plain model rather than
    pydantic-settings: that package alone cost about 40 ms of every Lambda's cold start."""

    model_config = ConfigDict(extra='ignore', frozen=True)

    stage: str = 'local'
    region: str = names.HOME_REGION
    rekognition_region: str = names.DEFAULT_REKOGNITION_REGION
    # Set only for the embedded local AWS (moto server); empty means the real AWS endpoints.
    aws_endpoint_url: str | None = None
    # Lambda answers within API Gateway's 29 s; the embedded AWS of `make run` can be slower under a big load.
    aws_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    bucket_suffix: str = 'local'

    max_json_body_bytes: int = Field(default=64 * 1024, gt=0)
    max_import_body_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_page_size: int = Field(default=500, gt=0)
    default_page_size: int = Field(default=50, gt=0)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # API Gateway gives up after 29 s: an import stops writing early enough to still answer with its report.
    import_write_budget_seconds: float = Field(default=20.0, gt=0)
    # Avoid a write on every request: last-used time is refreshed at most this often.
    key_last_used_resolution_seconds: int = Field(default=60, ge=0)
    # Lifetime of the presigned download links of finance exports.
    export_link_seconds: int = Field(default=15 * 60, gt=0, le=7 * 24 * 3600)

    # Bridge uploads (machine logs).
    upload_url_ttl_seconds: int = Field(default=900, gt=0)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_upload_uncompressed_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    # A machine time this far ahead of its upload cannot be real; behind is bounded by the earliest date.
    max_machine_clock_ahead_hours: int = Field(default=24, gt=0)
    earliest_punch_date: date = date(2020, 1, 1)

    # A machine silent this long is stale, then offline (health view, outage proposals, the alarm metric).
    machine_stale_minutes: int = Field(default=15, gt=0)
    machine_offline_minutes: int = Field(default=60, gt=0)

    # Mobile check-in.
    face_match_threshold: float = Field(default=95.0, ge=50, le=100)  # Rekognition similarity to accept
    face_review_threshold: float = Field(default=80.0, ge=0, le=100)  # from here to the match threshold: review
    duplicate_face_threshold: float = Field(default=90.0, ge=50, le=100)  # enrolment search among all faces
    max_gps_accuracy_m: float = Field(default=100.0, gt=0)  # worse fixes are refused
    review_gps_accuracy_m: float = Field(default=50.0, gt=0)  # worse fixes are accepted only after review
    max_travel_speed_kmh: float = Field(default=150.0, gt=0)
    activation_code_hours: int = Field(default=72, gt=0, le=30 * 24)
    max_selfie_bytes: int = Field(default=1_500_000, gt=0)
    max_mobile_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    selfie_link_seconds: int = Field(default=300, gt=0, le=3600)
    face_retry_seconds: int = Field(default=30, ge=0, le=900)  # a queued check the engine refused again waits this
    # Liveness (chalicelib/domain/liveness.py): a challenge answers within this window, once.
    liveness_window_seconds: int = Field(default=120, ge=10, le=900)
    # Refuse enrolments and check-ins that carry no liveness frames (an app from before the liveness step).
    liveness_required: bool = True
    # Rekognition's Pose.Yaw onto the port's scale (positive: the face turns towards the image's right). Its sign is
    # not documented; flip it here if a real account measures the opposite (docs/checkin.md says how to check).
    rekognition_yaw_sign: int = Field(default=1, ge=-1, le=1)

    # Finance's notice that a month's files are ready (SNS, e-mail subscribed in infra/); unset: the log only.
    finance_topic_arn: str | None = None
    # The site serving the console (https://<CloudFront domain> deployed); notices link to its Keuangan screen.
    console_url: str = 'http://127.0.0.1:8000'

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The settings the environment gives (``os.environ`` unless told), with ``overrides`` on top."""
        source = os.environ if environ is None else environ
        given = {name[len(ENV_PREFIX) :].lower(): value for name, value in source.items()
                 if name.upper().startswith(ENV_PREFIX)}  # fmt: skip
        return cls.model_validate({**{k: v for k, v in given.items() if k in cls.model_fields}, **overrides})

    def table(self, purpose: str) -> str:
        return names.table_name(self.stage, purpose)

    def bucket(self, purpose: str) -> str:
        return names.bucket_name(self.stage, purpose, self.bucket_suffix)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
