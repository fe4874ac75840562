"""The composition root picks Key Vault and Blob Storage when configured, local files otherwise."""

from __future__ import annotations

from shared.adapters.artifacts.blob import BlobArtifactStore
from shared.adapters.artifacts.filesystem import FilesystemArtifactStore
from shared.adapters.keys.keyvault import KeyVaultKeyProvider
from shared.adapters.keys.local import LocalKeyProvider
from shared.adapters.secrets.keyvault import KeyVaultSecretStore
from shared.adapters.secrets.local import LocalSecretStore
from shared.bootstrap import Container
from shared.config import Settings

UNSET = {
    "key_vault_url": None,
    "artifact_blob_connection_string": None,
    "artifact_blob_account_url": None,
}


def test_local_adapters_under_the_data_dir_by_default(tmp_path) -> None:
    container = Container(Settings(**UNSET, data_dir=tmp_path))
    assert isinstance(container.secrets, LocalSecretStore)
    assert isinstance(container.keys, LocalKeyProvider)
    assert isinstance(container.artifacts, FilesystemArtifactStore)
    container.secrets.set("acme", "scm-token", "x")
    assert (tmp_path / "secrets" / "acme" / "scm-token").is_file()
    assert not list(tmp_path.glob("keys")) and not list(tmp_path.glob("artifacts"))


def test_key_vault_and_blob_when_configured(tmp_path) -> None:
    settings = Settings(
        **{
            **UNSET,
            "key_vault_url": "https://agent-kv.vault.azure.net",
            "artifact_blob_account_url": "https://agentartifacts.blob.core.windows.net",
            "data_dir": tmp_path,
        }
    )
    container = Container(settings)
    assert isinstance(container.secrets, KeyVaultSecretStore)
    assert isinstance(container.keys, KeyVaultKeyProvider)
    assert isinstance(container.artifacts, BlobArtifactStore)
    assert not list(tmp_path.iterdir())  # choosing and building adapters does no I/O
