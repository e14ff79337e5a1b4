"""pynamodb models. They never leave adapters/dynamodb: repositories map them to domain objects.

The directory table is single-table: every master-data record is one item whose `data` map holds
the domain object; keys and GSI attributes are built only by the helpers in keys.py.
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb import allowance_items as _allowance
from chalicelib.adapters.dynamodb.base import index_meta, meta_for


class DirectoryByType(GlobalSecondaryIndex['DirectoryItem']):
    Meta = index_meta(names.DIRECTORY_GSI_BY_TYPE)
    type_pk = UnicodeAttribute(hash_key=True)
    type_sk = UnicodeAttribute(range_key=True)


class DirectoryLookup(GlobalSecondaryIndex['DirectoryItem']):
    Meta = index_meta(names.DIRECTORY_GSI_LOOKUP)
    lookup_pk = UnicodeAttribute(hash_key=True)
    lookup_sk = UnicodeAttribute(range_key=True)


class DirectoryItem(Model):
    Meta = meta_for(names.TABLE_DIRECTORY)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    type_pk = UnicodeAttribute(null=True)
    type_sk = UnicodeAttribute(null=True)
    lookup_pk = UnicodeAttribute(null=True)
    lookup_sk = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    data = MapAttribute[str, object](default=dict)
    expires = TTLAttribute(null=True)  # set only on short-lived records (liveness challenges): DynamoDB removes them

    by_type = DirectoryByType()
    lookup = DirectoryLookup()


class PunchesByEmployee(GlobalSecondaryIndex['PunchItem']):
    Meta = index_meta(names.PUNCHES_GSI_BY_EMPLOYEE)
    employee_id = UnicodeAttribute(hash_key=True)
    at_utc_key = UnicodeAttribute(range_key=True)


class PunchesByOpdDate(GlobalSecondaryIndex['PunchItem']):
    Meta = index_meta(names.PUNCHES_GSI_BY_OPD_DATE)
    opd_date = UnicodeAttribute(hash_key=True)
    at_utc_key = UnicodeAttribute(range_key=True)


class PunchesUnmapped(GlobalSecondaryIndex['PunchItem']):
    # Sparse and keys-only: a punch is in it while its PIN has no mapping; the sort key carries PIN and date.
    Meta = type('Meta', (), {'index_name': names.PUNCHES_GSI_UNMAPPED, 'projection': KeysOnlyProjection()})
    unmapped_serial = UnicodeAttribute(hash_key=True)
    unmapped_key = UnicodeAttribute(range_key=True)


class PunchItem(Model):
    """One immutable punch. Its key is deterministic, so a re-sent punch collides instead of doubling."""

    Meta = meta_for(names.TABLE_PUNCHES)

    punch_id = UnicodeAttribute(hash_key=True)
    source = UnicodeAttribute()
    employee_id = UnicodeAttribute(null=True)
    opd_id = UnicodeAttribute(null=True)
    opd_date = UnicodeAttribute(null=True)
    at_utc = UTCDateTimeAttribute()
    at_utc_key = UnicodeAttribute()
    local_date = UnicodeAttribute()
    zone = UnicodeAttribute()
    machine_serial = UnicodeAttribute(null=True)
    machine_pin = UnicodeAttribute(null=True)
    raw = UnicodeAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    unmapped_serial = UnicodeAttribute(null=True)  # set only while the PIN has no mapping (index `unmapped`)
    unmapped_key = UnicodeAttribute(null=True)  # <pin>#<local date>#<punch id>

    by_employee = PunchesByEmployee()
    by_opd_date = PunchesByOpdDate()
    unmapped = PunchesUnmapped()


class AuditByOpd(GlobalSecondaryIndex['AuditItem']):
    Meta = index_meta(names.AUDIT_GSI_BY_OPD)
    opd_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)


class AuditItem(Model):
    """One link of the audit chain. `at`, `before` and `after` are stored exactly as hashed."""

    Meta = meta_for(names.TABLE_AUDIT)

    chain = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute()
    actor_key_id = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    opd_id = UnicodeAttribute(null=True)
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()

    by_opd = AuditByOpd()


class IdempotencyItem(Model):
    """Schema of the Powertools idempotency table (Powertools reads and writes it itself)."""

    Meta = meta_for(names.TABLE_IDEMPOTENCY)

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    claim_data = JSONAttribute(null=True)  # a check-in's Idempotency-Key claim: the request's hash and its answer


ALL_MODELS: tuple[type[Model], ...] = (DirectoryItem, PunchItem, AuditItem, IdempotencyItem, _allowance.AllowanceItem)
