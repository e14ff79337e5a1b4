"""The DynamoDB tables infra/ creates, read from the pynamodb models so the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import resource_names as names


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # 'S', 'N' or 'B'


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: Key
    sort_key: Key | None
    projection: str


@dataclass(frozen=True)
class TableSpec:
    purpose: str
    partition_key: Key
    sort_key: Key | None
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None


def _purpose_of(model: Any) -> str:
    """Model Meta binds the table name to the importing process's stage; the purpose is its stage-free tail."""
    table_name: str = model.Meta.table_name
    matches = [p for p in names.TABLES if table_name.endswith(f'-{p}')]
    if len(matches) != 1:
        raise ValueError(f'{model.__name__}: table {table_name!r} matches no single purpose of {names.TABLES}')
    return matches[0]


def _keys(key_schema: Any, types: dict[str, str]) -> tuple[Key, Key | None]:
    by_type = {k['KeyType']: k['AttributeName'] for k in key_schema}
    hash_name, range_name = by_type['HASH'], by_type.get('RANGE')
    return Key(hash_name, types[hash_name]), Key(range_name, types[range_name]) if range_name else None


def table_specs() -> tuple[TableSpec, ...]:
    """One spec per pynamodb model of chalicelib/adapters/dynamodb/items.py (keys, GSIs, TTL attribute)."""
    from pynamodb.attributes import TTLAttribute

    from chalicelib.adapters.dynamodb.items import ALL_MODELS

    specs = []
    for model in ALL_MODELS:
        schema = model._get_schema()
        types = {a['AttributeName']: a['AttributeType'] for a in schema['attribute_definitions']}
        partition_key, sort_key = _keys(schema['key_schema'], types)
        indexes = []
        for gsi in schema['global_secondary_indexes']:
            gsi_types = {a['AttributeName']: a['AttributeType'] for a in gsi['attribute_definitions']}
            index_pk, index_sk = _keys(gsi['key_schema'], gsi_types)
            indexes.append(IndexSpec(gsi['index_name'], index_pk, index_sk, gsi['projection']['ProjectionType']))
        if schema['local_secondary_indexes']:
            raise ValueError(f'{model.__name__}: local secondary indexes are not supported by infra/')
        ttl = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
        specs.append(TableSpec(_purpose_of(model), partition_key, sort_key, tuple(indexes), ttl[0] if ttl else None))
    purposes = sorted(s.purpose for s in specs)
    if purposes != sorted(names.TABLES):
        raise ValueError(f'models cover tables {purposes}, resource_names declares {sorted(names.TABLES)}')
    return tuple(specs)
