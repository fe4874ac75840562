"""Artifacts in Azure Blob Storage (or Azurite), through ``azure-storage-blob``.

One container holds every tenant's artifacts as blobs named ``<tenant>/<key>``. Artifacts are
uploaded with ``If-None-Match: *`` and their MD5 as ``Content-MD5``: a second upload of the same
name fails in the service, and the adapter then compares MD5s to tell an idempotent retry (same
bytes: fine) from a real conflict. The container is created on the first upload that finds it
missing (infra normally creates it).

With ``encryption_scopes`` each tenant's blobs are written under its encryption scope
``tenant-<slug>`` (the TenantStack's, on the tenant's own Key Vault key), so that disabling one
tenant's key makes its artifacts unreadable and no other tenant's. Reads need nothing: the
service decrypts with the scope the blob was written under. A tenant without its scope gets an
error, never a blob under the account's key.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from shared.adapters.azure_errors import map_azure_error
from shared.domain.errors import ConfigurationError, Conflict, NotFound
from shared.domain.tenant import validate_slug
from shared.ports.artifacts import ArtifactStore, validate_artifact_key

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.storage.blob import BlobClient


class BlobArtifactStore(ArtifactStore):
    """``ArtifactStore`` on one Blob container; URIs are the blobs' URLs.

    Give ``connection_string`` (Azurite, or an account key) or ``account_url`` with a
    ``credential`` (default ``DefaultAzureCredential``: managed identity in Azure). SDK retries
    are off (retries belong to the orchestrator); ``client_kwargs`` go to ``BlobServiceClient``.
    ``encryption_scopes``: upload under each tenant's scope (see the module docstring).
    """

    def __init__(
        self,
        container: str,
        *,
        connection_string: str | None = None,
        account_url: str | None = None,
        credential: TokenCredential | None = None,
        encryption_scopes: bool = False,
        **client_kwargs: Any,
    ) -> None:
        from azure.storage.blob import BlobServiceClient

        if (connection_string is None) == (account_url is None):
            raise ConfigurationError(
                "artifact store: set exactly one of ARTIFACT_BLOB_CONNECTION_STRING "
                "and ARTIFACT_BLOB_ACCOUNT_URL"
            )
        kwargs = {"retry_total": 0, **client_kwargs}
        if connection_string is not None:
            service = BlobServiceClient.from_connection_string(connection_string, **kwargs)
        else:
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            service = BlobServiceClient(str(account_url), credential=credential, **kwargs)
        self._container = service.get_container_client(container)
        self._encryption_scopes = encryption_scopes

    def put(
        self, tenant: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError

        blob = self._blob(tenant, key)
        digest = hashlib.md5(data, usedforsecurity=False).digest()
        scope = encryption_scope(tenant) if self._encryption_scopes else None
        try:
            try:
                self._upload(blob, data, content_type, digest, scope)
            except ResourceNotFoundError:  # the container is missing
                self._create_container()
                self._upload(blob, data, content_type, digest, scope)
        except ResourceExistsError:
            if self._stored_md5(blob) != digest:
                raise Conflict(f"artifact {key!r} already exists with other content") from None
        except AzureError as exc:
            raise map_azure_error(exc, f"upload artifact {key}") from exc
        return str(blob.url)

    def get(self, tenant: str, key: str) -> bytes:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            return bytes(self._blob(tenant, key).download_blob().readall())
        except ResourceNotFoundError as exc:
            raise NotFound(f"artifact {key!r} not found for tenant {tenant!r}") from exc
        except AzureError as exc:
            raise map_azure_error(exc, f"download artifact {key}") from exc

    def exists(self, tenant: str, key: str) -> bool:
        from azure.core.exceptions import AzureError

        try:
            return bool(self._blob(tenant, key).exists())
        except AzureError as exc:
            raise map_azure_error(exc, f"check artifact {key}") from exc

    def list(self, tenant: str, prefix: str = "") -> list[str]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        base = f"{validate_slug(tenant)}/"
        try:
            names = list(self._container.list_blob_names(name_starts_with=base + prefix))
        except ResourceNotFoundError:
            return []
        except AzureError as exc:
            raise map_azure_error(exc, f"list artifacts {prefix!r}") from exc
        return sorted(name.removeprefix(base) for name in names)

    def _blob(self, tenant: str, key: str) -> BlobClient:
        name = f"{validate_slug(tenant)}/{validate_artifact_key(key)}"
        return self._container.get_blob_client(name)

    def _upload(
        self, blob: BlobClient, data: bytes, content_type: str, digest: bytes, scope: str | None
    ) -> None:
        from azure.storage.blob import ContentSettings

        blob.upload_blob(
            data,
            overwrite=False,
            encryption_scope=scope,
            content_settings=ContentSettings(
                content_type=content_type, content_md5=bytearray(digest)
            ),
        )

    def _create_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            self._container.create_container()
        except ResourceExistsError:
            return

    def _stored_md5(self, blob: BlobClient) -> bytes | None:
        from azure.core.exceptions import AzureError

        try:
            stored = blob.get_blob_properties().content_settings.content_md5
        except AzureError as exc:
            raise map_azure_error(exc, f"read artifact {blob.blob_name} properties") from exc
        return bytes(stored) if stored is not None else None


def encryption_scope(tenant: str) -> str:
    """The tenant's blob encryption scope: the name infra/pulumi's ``TenantStack`` gives it."""
    return f"tenant-{validate_slug(tenant)}"
