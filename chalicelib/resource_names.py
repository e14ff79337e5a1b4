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
TABLES = (TABLE_DIRECTORY, TABLE_PUNCHES, TABLE_AUDIT, TABLE_IDEMPOTENCY)

BUCKET_UPLOADS = 'uploads'  # bridges' machine-log uploads
BUCKET_MEDIA = 'media'  # selfies and reference faces
BUCKET_EXPORTS = 'exports'  # finance CSVs
BUCKETS = (BUCKET_UPLOADS, BUCKET_MEDIA, BUCKET_EXPORTS)

DIRECTORY_GSI_BY_TYPE = 'by-type'
DIRECTORY_GSI_LOOKUP = 'lookup'
PUNCHES_GSI_BY_EMPLOYEE = 'by-employee'
PUNCHES_GSI_BY_OPD_DATE = 'by-opd-date'
AUDIT_GSI_BY_OPD = 'by-opd'

# Cron expressions for scheduled functions (Chalice needs them as static decorator arguments).
# Times are UTC: 17:30 UTC is 00:30 WIB.
CRON_AUDIT_VERIFY = '30 17 * * ? *'


def table_name(stage: str, purpose: str) -> str:
    return f'{APP_NAME}-{stage}-{purpose}'


def bucket_name(stage: str, purpose: str, account_suffix: str = 'local') -> str:
    """Bucket names are global in S3, so infra/ passes the account id as the suffix."""
    return f'{APP_NAME}-{stage}-{purpose}-{account_suffix}'
