"""A local HTTPS Key Vault per test, and adapters pointed at it with their real SDKs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.keys.keyvault import KeyVaultKeyProvider
from tests.integration.keys.keyvault_server import KeyVaultServer, StaticTokenCredential


@pytest.fixture
def key_vault(tmp_path_factory) -> Iterator[KeyVaultServer]:
    with KeyVaultServer(tmp_path_factory.mktemp("vault")) as server:
        yield server


@pytest.fixture
def key_vault_keys(key_vault) -> KeyVaultKeyProvider:
    return KeyVaultKeyProvider(
        key_vault.url, StaticTokenCredential(), key_size=2048, **key_vault.client_kwargs()
    )
