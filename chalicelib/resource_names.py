"""Names of every AWS resource Hadir uses, shared by the app, the local stack and infra/.

Dependency-free on purpose: Chalice imports app.py at package time, and infra/ imports this
module to name the resources it creates, so the three can never disagree.
"""

APP_NAME = 'hadir'
HOME_REGION = 'ap-southeast-3'
DEFAULT_REKOGNITION_REGION = 'ap-southeast-1'

# Logical table and bucket purposes; physical names are built by table_name()/bucket_name().
TABLE_DIRECTORY = 'directory'  # master data: pemda, OPD, employees, machines, PIN maps, bridges, keys
TABLE_PUNCHES = 'punches'  # the immutable punch ledger
TABLE_AUDIT = 'audit'  # the hash-chained audit log
TABLE_IDEMPOTENCY = 'idempotency'  # Powertools idempotency records (TTL "expiration")
TABLE_ALLOWANCE = 'allowance'  # derived and recomputable: day records, month records and their revisions
TABLES = (TABLE_DIRECTORY, TABLE_PUNCHES, TABLE_AUDIT, TABLE_IDEMPOTENCY, TABLE_ALLOWANCE)

BUCKET_UPLOADS = 'uploads'  # bridges' machine-log uploads
BUCKET_MEDIA = 'media'  # selfies and reference faces
BUCKET_EXPORTS = 'exports'  # finance CSVs
BUCKET_ANCHORS = 'anchors'  # the audit chain's head once an hour: write-once, under Object Lock (docs/audit.md)
BUCKETS = (BUCKET_UPLOADS, BUCKET_MEDIA, BUCKET_EXPORTS, BUCKET_ANCHORS)

DIRECTORY_GSI_BY_TYPE = 'by-type'
DIRECTORY_GSI_LOOKUP = 'lookup'
PUNCHES_GSI_BY_EMPLOYEE = 'by-employee'
PUNCHES_GSI_BY_OPD_DATE = 'by-opd-date'
PUNCHES_GSI_UNMAPPED = 'unmapped'  # sparse: machine punches whose PIN had no mapping, by machine
AUDIT_GSI_BY_OPD = 'by-opd'
ALLOWANCE_GSI_BY_MONTH = 'by-month'

# Cron expressions for scheduled functions (Chalice needs them as static decorator arguments).
# Times are UTC: 17:30 UTC is 00:30 WIB.
CRON_AUDIT_VERIFY = '30 17 * * ? *'
# Hourly, late in the hour: the audit chain's head is anchored for the UTC hour the run falls in (services.audit).
CRON_ANCHOR_AUDIT = '55 * * * ? *'
CRON_CLOSE_DAY = '5 * * * ? *'  # hourly: each zone's day is closed after 01:00 local (services.nightly)
# Day of month and hour chosen so that moving to WITA/WIT (−1/−2 h) never crosses midnight (infra shifts crons).
CRON_CLOSE_MONTH = '20 * * * ? *'  # hourly: from the pemda's tpp_close_day, and requests (services.month_end)
CRON_EXPORT_TPP = '40 * * * ? *'  # hourly: from the pemda's tpp_export_day, a revision without files
CRON_RECONCILE = '0/5 * * * ? *'  # every 5 minutes
# Hourly: each OPD is checked once its local morning (to 10:00) is over, whatever its zone.
CRON_PROPOSE_OUTAGES = '10 * * * ? *'
# Every 10 minutes: pending face checks whose queue message was lost are queued again.
CRON_SWEEP_FACE_CHECKS = '0/10 * * * ? *'
# 01:30 WIB every day: count reconciliation of yesterday's machine punches and the per-OPD machine summary.
CRON_MACHINE_SUMMARY = '30 18 * * ? *'
# 1 December 10:00 WIB: next year's national holidays and cuti bersama (and this year's, if any were missing).
CRON_IMPORT_HOLIDAYS = '0 3 1 12 ? *'


def table_name(stage: str, purpose: str) -> str:
    return f'{APP_NAME}-{stage}-{purpose}'


def bucket_name(stage: str, purpose: str, account_suffix: str = 'local') -> str:
    """Bucket names are global in S3, so infra/ passes the account id as the suffix."""
    return f'{APP_NAME}-{stage}-{purpose}-{account_suffix}'


# ---- Appended for infra/ (CDK): names of the resources only the deployed stack has. ----

QUEUE_DEVICE_LOGS = 'device-logs'  # S3 ObjectCreated under UPLOADS_PREFIX_BRIDGES -> this queue (+ its DLQ)
QUEUE_FACE_CHECKS = 'face-checks'  # check-ins the face engine was too busy for (+ its DLQ)
QUEUE_JOBS_FAILED = 'jobs-failed'  # scheduled functions' failed asynchronous invocations
QUEUES = (QUEUE_FACE_CHECKS,)  # the queues the app itself sends to
DLQ_SUFFIX = '-dlq'
BUCKET_ACCESS_LOGS = 'access-logs'  # S3 server access logs and CloudFront logs
BUCKET_WEB = 'web'  # the PWA's static files, served by CloudFront
FACE_COLLECTION = 'faces'  # the Rekognition collection (in the Rekognition region)

UPLOADS_PREFIX_QUARANTINE = 'quarantine/'  # reconcile keeps each upload's rejected lines here, with reasons
UPLOADS_PREFIX_BRIDGES = 'bridges/'  # bridges upload machine logs under bridges/<bridge>/...
MEDIA_PREFIX_SELFIES = 'selfies/'  # check-in selfies: expire by the retention policy
MEDIA_PREFIX_FACES = 'faces/'  # enrolled reference faces: kept while the employee is enrolled
EXPORTS_PREFIX = 'exports/'  # finance CSVs; the finance role reads this prefix only
EXPORTS_PREFIX_TPP = 'exports/tpp/'  # exports/tpp/YYYY-MM/rev-NNN/<OPD>.csv, pemda.csv, manifest.json
ANCHORS_PREFIX_AUDIT = 'audit/'  # audit/<YYYY-MM-DDTHHZ>.json: the audit chain's head in that UTC hour

# Custom metrics (namespace METRICS_NAMESPACE, dimension service=APP_NAME) that the alarms watch.
METRICS_NAMESPACE = 'Hadir'
METRIC_AUDIT_CHAIN_BROKEN = 'AuditChainBroken'
METRIC_MACHINES_OFFLINE = 'MachinesOffline'  # machines not seen within the pemda's offline threshold
METRIC_RECONCILE_LAG = 'ReconcileLagSeconds'  # age of the oldest upload not yet reconciled
METRIC_REKOGNITION_THROTTLED = 'RekognitionThrottled'  # Rekognition calls refused with a throttling error


def resource_name(stage: str, purpose: str) -> str:
    """Queues, functions, the API and the collection: `hadir-<stage>-<purpose>` (unique per account and region)."""
    return f'{APP_NAME}-{stage}-{purpose}'


def queue_name(stage: str, purpose: str) -> str:
    return resource_name(stage, purpose)


def dead_letter_queue_name(stage: str, purpose: str) -> str:
    return resource_name(stage, purpose) + DLQ_SUFFIX


def function_name(stage: str, function: str) -> str:
    """`function` is the Chalice function's name in kebab case: `api` for the REST API, else the job's name."""
    return resource_name(stage, function)


def face_collection_id(stage: str) -> str:
    return resource_name(stage, FACE_COLLECTION)
