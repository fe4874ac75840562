"""Fixtures shared by the SCM adapter tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.secrets.local import LocalSecretStore


@pytest.fixture
def secret_store(tmp_path: Path) -> LocalSecretStore:
    """The real local SecretStore, in a private directory of the test."""
    return LocalSecretStore(tmp_path / "data")
