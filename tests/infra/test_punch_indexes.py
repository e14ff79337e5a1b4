"""The punches table's sparse ``unmapped`` index: keys only, by machine, as the ledger adapter queries it."""

from __future__ import annotations

from typing import Any

from chalicelib import resource_names as names
from tests.infra.test_template import by_name, props


def test_the_punches_table_has_the_keys_only_unmapped_index(template: dict[str, Any], stage: str) -> None:
    # Given the synthesised punches table
    table = props(by_name(template, 'AWS::DynamoDB::Table', 'TableName')[names.table_name(stage, names.TABLE_PUNCHES)])
    # Then the unmapped index is keyed by machine and PIN#date#punch, and projects keys only
    [index] = [i for i in table['GlobalSecondaryIndexes'] if i['IndexName'] == names.PUNCHES_GSI_UNMAPPED]
    assert {k['KeyType']: k['AttributeName'] for k in index['KeySchema']} == {
        'HASH': 'unmapped_serial',
        'RANGE': 'unmapped_key',
    }
    assert index['Projection'] == {'ProjectionType': 'KEYS_ONLY'}
