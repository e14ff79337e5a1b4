"""The allowance table: day records, month records and month revisions (derived, recomputable).

One item collection per employee (``EMP#<employee>``) holds the employee's day records (``DAY#<date>``)
and month records (``MONTH#<YYYY-MM>#R<NNN>``); revision heads live under ``REV#<YYYY-MM>``. The same day
records, packed by date and employee shard, form the day sheets (``DAYSHEET#<date>`` / ``S<NN>``): what the
day close compares against and the month close reads. The sparse GSI ``by-month`` serves the bulk reads of
the month close (the month's day sheets; day records written before sheets existed, sharded) and of the
export (the month records of one revision, in OPD order). Keys are built only by the helpers in allowance.py.
"""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb.base import index_meta, meta_for


class AllowanceByMonth(GlobalSecondaryIndex['AllowanceItem']):
    Meta = index_meta(names.ALLOWANCE_GSI_BY_MONTH)
    month_pk = UnicodeAttribute(hash_key=True)
    month_sk = UnicodeAttribute(range_key=True)


class AllowanceItem(Model):
    Meta = meta_for(names.TABLE_ALLOWANCE)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # day | month | revision
    month_pk = UnicodeAttribute(null=True)
    month_sk = UnicodeAttribute(null=True)
    body = UnicodeAttribute()  # the record's canonical JSON, exactly as the domain model dumps it (a sheet: a summary)
    packed = BinaryAttribute(null=True, legacy_encoding=False)  # a day sheet's records, zlib-compressed lines
    version = NumberAttribute(null=True)  # a day sheet's optimistic-concurrency counter

    by_month = AllowanceByMonth()
