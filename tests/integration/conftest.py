from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.support import Harness, make_harness


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        from chalicelib.adapters.dynamodb.tables import ensure_tables
        from hadir_local.snapshot import ensure_buckets, ensure_queues

        ensure_tables()
        ensure_buckets()
        ensure_queues()
        yield


@pytest.fixture
def hx(aws: None) -> Iterator[Harness]:
    yield make_harness()
