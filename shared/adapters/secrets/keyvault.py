"""Secrets in Azure Key Vault, through ``azure-keyvault-secrets``.

Key Vault secret names allow only letters, digits and dashes, so a tenant's secret ``<name>`` is
stored as ``<tenant>--<name>``. The mapping is one-to-one: secret names contain no ``--`` and do
not start with a dash (``validate_secret_name``), so the last ``--`` always separates the tenant.
``delete`` is a soft delete in vaults with soft-delete on (all new vaults): the name stays taken
until purged or its retention ends, and ``set`` on it raises ``Conflict`` meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.azure_errors import map_azure_error
from shared.domain.tenant import validate_slug
from shared.ports.secrets import SecretStore, validate_secret_name

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


def key_vault_secret_name(tenant: str, name: str) -> str:
    """The Key Vault name of a tenant's secret: ``<tenant>--<name>``."""
    return f"{validate_slug(tenant)}--{validate_secret_name(name)}"


class KeyVaultSecretStore(SecretStore):
    """``SecretStore`` on one Key Vault shared by the tenants (names are tenant-prefixed).

    ``credential`` defaults to ``DefaultAzureCredential`` (managed identity in Azure);
    ``client_kwargs`` go to ``SecretClient`` (tests pass ``connection_verify`` and
    ``verify_challenge_resource``). SDK retries are off: retries belong to the orchestrator.
    """

    def __init__(
        self,
        vault_url: str,
        credential: TokenCredential | None = None,
        **client_kwargs: Any,
    ) -> None:
        from azure.keyvault.secrets import SecretClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._client = SecretClient(vault_url, credential, **{"retry_total": 0, **client_kwargs})

    def get(self, tenant: str, name: str) -> str:
        from azure.core.exceptions import AzureError

        kv_name = key_vault_secret_name(tenant, name)
        try:
            value = self._client.get_secret(kv_name).value
        except AzureError as exc:
            raise map_azure_error(exc, f"get secret {kv_name}") from exc
        return value or ""

    def set(self, tenant: str, name: str, value: str) -> None:
        from azure.core.exceptions import AzureError

        kv_name = key_vault_secret_name(tenant, name)
        try:
            self._client.set_secret(kv_name, value)
        except AzureError as exc:
            raise map_azure_error(exc, f"set secret {kv_name}") from exc

    def delete(self, tenant: str, name: str) -> None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        kv_name = key_vault_secret_name(tenant, name)
        try:
            self._client.begin_delete_secret(kv_name)
        except ResourceNotFoundError:
            return
        except AzureError as exc:
            raise map_azure_error(exc, f"delete secret {kv_name}") from exc
