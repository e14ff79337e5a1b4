"""What differs between deployments: the stage's defaults plus the pemda's parameters (CDK context).

Pure Python on purpose (no aws_cdk import), so tests and docs can read it without starting jsii.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chalicelib import resource_names as names

REPO_ROOT = Path(__file__).resolve().parents[2]
STAGES = ('dev', 'prod')
# Indonesia's three zones keep no daylight saving, so a fixed UTC offset is exact.
ZONE_OFFSETS = {'Asia/Jakarta': 7, 'Asia/Makassar': 8, 'Asia/Jayapura': 9}
# resource_names' crons are written for WIB (17:30 UTC is 00:30 WIB); other zones shift them.
CRON_ZONE = 'Asia/Jakarta'
# Routes whose bodies may reach max_import_body_bytes; every other route is held to max_json_body_bytes.
IMPORT_PATHS = ('/v1/employees/import', '/v1/imports/scores')
# Routes whose JSON may pass 64 KB (selfies and letter photos as base64 up to the app's 2 MB, an outage's manual
# attendance list up to 256 KB): WAF inspects at most 64 KB of a body, so their size is left to the app's own
# limit per route.
LARGE_JSON_PATHS = (
    '/v1/mobile/face',
    '/v1/mobile/checkins',
    '/v1/mobile/requests',
    '/v1/outages/{outage_id}/manual-list',
)


def waf_path_suffix(path: str) -> str:
    """What WAF matches a route by: its path after the last path parameter (WAF has no templates)."""
    return path.rsplit('}', 1)[-1]


# Signed by a phone's key and checked per device (nonces, idempotency); behind CloudFront every phone shares
# an edge address, so a per-IP limit would block a whole office at the morning peak.
MOBILE_PATH_MARK = '/v1/mobile/'
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
_ACCOUNT = re.compile(r'^\d{12}$')


@dataclass(frozen=True)
class StageConfig:
    stage: str
    pemda: str = 'Pemda Contoh'
    zone: str = 'Asia/Jakarta'
    alarm_email: str | None = None
    finance_email: str | None = None  # BPKAD's address: told when a month's finance files are ready
    account: str | None = None  # None: account-agnostic template (names use ${AWS::AccountId})
    region: str = names.HOME_REGION
    rekognition_region: str = names.DEFAULT_REKOGNITION_REGION
    web_dir: Path | None = REPO_ROOT / 'web'
    # Stateful resources survive `cdk destroy` and carry deletion protection.
    retain_data: bool = False
    log_retention_days: int = 14
    selfie_retention_days: int = 30
    upload_expiry_days: int | None = 90  # None: keep machine logs forever (cheaper storage classes)
    export_lock_days: int = 1
    # API Gateway stage throttling (every client) and the usage plan for API Gateway keys.
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    import_rate_limit: int = 1
    import_burst_limit: int = 2
    usage_plan_monthly_quota: int = 1_000_000
    # WAF: requests per client IP per 5 minutes. Offices put hundreds of phones behind one NAT address.
    waf_requests_per_ip: int = 3000
    # Request size limits: WAF blocks larger JSON bodies; the app enforces both (HADIR_MAX_*).
    max_json_body_bytes: int = 64 * 1024
    max_import_body_bytes: int = 5 * 1024 * 1024
    # Face-check pollers at once: the SQS event source's maximum concurrency (2 is the least it accepts). Each
    # works through its batch one message at a time, a DetectFaces and a CompareFaces call each, so the backlog
    # takes a few calls a second from Rekognition's per-account, per-operation TPS quota (low by default outside
    # the big US/EU regions: check Service Quotas in the Rekognition region) and leaves the rest to live
    # check-ins. Not reserved concurrency: Lambda would throttle the pollers' invocations, each throttled batch
    # counts as a receive and pushes waiting check-ins towards the dead-letter queue; and reserved concurrency
    # is taken from the account's unreserved pool.
    face_check_max_concurrency: int = 2
    alarm_thresholds: Mapping[str, float] = field(
        default_factory=lambda: {
            'reconcile_lag_seconds': 2 * 3600,
            'queue_age_seconds': 3600,
            'machines_offline': 1,
            'rekognition_throttled': 5,
            'face_check_age_seconds': 15 * 60,  # a pending check-in normally clears within a minute or two
        }
    )

    @property
    def stack_name(self) -> str:
        return f'{names.APP_NAME}-{self.stage}'

    @property
    def zone_shift_hours(self) -> int:
        """Hours to add to a WIB cron so it fires at the same local time in this pemda's zone."""
        return ZONE_OFFSETS[CRON_ZONE] - ZONE_OFFSETS[self.zone]

    def validate(self) -> StageConfig:
        if self.stage not in STAGES:
            raise ValueError(f'unknown stage {self.stage!r}; expected one of {STAGES}')
        if self.zone not in ZONE_OFFSETS:
            raise ValueError(f'unknown zone {self.zone!r}; expected one of {sorted(ZONE_OFFSETS)}')
        for key, email in (('alarm_email', self.alarm_email), ('finance_email', self.finance_email)):
            if email is not None and not _EMAIL.match(email):
                raise ValueError(f'{key} {email!r} is not an e-mail address')
        if self.account is not None and not _ACCOUNT.match(self.account):
            raise ValueError(f'account {self.account!r} is not a 12-digit AWS account id')
        if self.rekognition_region == 'ap-southeast-3':
            raise ValueError('Rekognition is not offered in ap-southeast-3; use e.g. ap-southeast-1')
        if not 2 <= self.face_check_max_concurrency <= 1000:
            raise ValueError('face_check_max_concurrency must be 2-1000 (the SQS event source limits)')
        if not self.pemda.strip() or not re.fullmatch(r'[\w .:/=+@-]{1,200}', self.pemda):
            raise ValueError(f'pemda {self.pemda!r} must be 1-200 letters, digits, spaces or . : / = + @ -')
        return self


STAGE_DEFAULTS: dict[str, StageConfig] = {
    'dev': StageConfig(stage='dev'),
    'prod': StageConfig(
        stage='prod',
        retain_data=True,
        log_retention_days=180,
        selfie_retention_days=400,  # a year of evidence for disputes, plus the month being paid
        upload_expiry_days=None,
        export_lock_days=3650,  # ten years, as for the regional finance records they support
        api_rate_limit=200,
        api_burst_limit=400,
        waf_requests_per_ip=5000,
    ),
}

# CDK context keys (`-c key=value`); each applies to every stage synthesised in that run.
CONTEXT_KEYS = (
    'stage', 'pemda', 'zone', 'alarm_email', 'finance_email', 'account', 'region', 'rekognition_region', 'web_dir',
)  # fmt: skip


def stage_configs(context: Callable[[str], Any], default_account: str | None = None) -> list[StageConfig]:
    """The stages to synthesise: `-c stage=prod` picks one, otherwise every stage (what the tests check)."""
    wanted = context('stage')
    stages = STAGES if wanted in (None, '') else (str(wanted),)
    configs = []
    for stage in stages:
        if stage not in STAGE_DEFAULTS:
            raise ValueError(f'unknown stage {stage!r}; expected one of {STAGES}')
        overrides: dict[str, Any] = {}
        for key in ('pemda', 'zone', 'alarm_email', 'finance_email', 'account', 'region', 'rekognition_region'):
            value = context(key)
            if value not in (None, ''):
                overrides[key] = str(value)
        if 'account' not in overrides and default_account:
            overrides['account'] = default_account
        web_dir = context('web_dir')
        if web_dir not in (None, ''):
            overrides['web_dir'] = Path(str(web_dir))
        configs.append(replace(STAGE_DEFAULTS[stage], **overrides).validate())
    return configs


def chalice_setting(stage: str, key: str, default: Any) -> Any:
    """A setting of .chalice/config.json (the stage's, else the global one), so infra and Chalice agree."""
    config = json.loads((REPO_ROOT / '.chalice' / 'config.json').read_text())
    return config.get('stages', {}).get(stage, {}).get(key, config.get(key, default))
