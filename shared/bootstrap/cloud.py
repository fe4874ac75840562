"""The composition root's choices between an Azure service and its local stand-in: secrets and
tenant keys (Key Vault or DATA_DIR), artifacts (Blob Storage or DATA_DIR) and the sandbox
(Container Apps dynamic sessions or Linux namespaces). Each adapter module is imported only when
chosen, so the other side's SDK never loads."""

from __future__ import annotations

from shared.adapters.store.postgres.entra import managed_identity_credential
from shared.config import Settings
from shared.ports.artifacts import ArtifactStore
from shared.ports.keys import KeyProvider
from shared.ports.sandbox import Sandbox
from shared.ports.secrets import SecretStore


def secret_store(settings: Settings) -> SecretStore:
    if settings.key_vault_url:
        from shared.adapters.secrets.keyvault import KeyVaultSecretStore

        return KeyVaultSecretStore(settings.key_vault_url)
    from shared.adapters.secrets.local import LocalSecretStore

    return LocalSecretStore(settings.data_dir)


def key_provider(settings: Settings) -> KeyProvider:
    if settings.key_vault_url:
        from shared.adapters.keys.keyvault import KeyVaultKeyProvider

        return KeyVaultKeyProvider(settings.key_vault_url)
    from shared.adapters.keys.local import LocalKeyProvider

    return LocalKeyProvider(settings.data_dir)


def artifact_store(settings: Settings) -> ArtifactStore:
    s = settings
    if s.artifact_blob_connection_string or s.artifact_blob_account_url:
        from shared.adapters.artifacts.blob import BlobArtifactStore

        return BlobArtifactStore(
            s.artifact_blob_container,
            connection_string=s.artifact_blob_connection_string,
            account_url=s.artifact_blob_account_url,
            encryption_scopes=s.artifact_blob_encryption_scopes,
        )
    from shared.adapters.artifacts.filesystem import FilesystemArtifactStore

    return FilesystemArtifactStore(s.data_dir)


def choose_sandbox(settings: Settings) -> Sandbox:
    """Where repository code runs: Linux namespaces locally, dynamic sessions in Azure."""
    s = settings
    if s.sandbox_backend == "dynamic-sessions":
        from shared.adapters.sandbox.dynamic_sessions import DynamicSessionsSandbox

        return DynamicSessionsSandbox(s.sandbox_pool_endpoint, managed_identity_credential())
    from shared.adapters.sandbox.local import LocalSandbox

    return LocalSandbox(backend=s.sandbox_backend)
