"""Fixtures for devhost integration tests: an in-process devhost on the session database.

Each module gets its own store schema, so modules never see each other's instances.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.testing import RunningDevhost, started_devhost

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


@pytest.fixture(scope="module")
def store_schema() -> str:
    return f"dh_{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def durable_host(database_url: str, store_schema: str) -> Iterator[RunningDevhost]:
    """devhost running the ``durable_app`` fixture app."""
    with started_devhost(APPS / "durable_app", database_url, schema=store_schema) as running:
        yield running
