"""The unit tier runs with the network switched off: domain code and fakes need no sockets."""

from __future__ import annotations

import pytest
from pytest_socket import disable_socket


def pytest_runtest_setup(item: pytest.Item) -> None:
    # pytest-socket's own teardown hook lifts the restriction after each test.
    disable_socket()
