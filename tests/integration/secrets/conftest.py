"""A local HTTPS Key Vault per test (the one the key tests use), for the secret adapter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.secrets.keyvault import KeyVaultSecretStore
from tests.integration.keys.keyvault_server import KeyVaultServer, StaticTokenCredential


@pytest.fixture
def key_vault(tmp_path_factory) -> Iterator[KeyVaultServer]:
    with KeyVaultServer(tmp_path_factory.mktemp("vault")) as server:
        yield server


@pytest.fixture
def key_vault_secrets(key_vault) -> KeyVaultSecretStore:
    return KeyVaultSecretStore(key_vault.url, StaticTokenCredential(), **key_vault.client_kwargs())
