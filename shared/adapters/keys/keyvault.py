"""Tenant keys in Azure Key Vault, through ``azure-keyvault-keys``.

Each tenant has one RSA key named ``tenant-<slug>``; its versions are the key versions. A data
key is wrapped with RSA-OAEP-256: locally with the key's public half (one GET of the current
version, the SDK's ``CryptographyClient`` does the math), and unwrapped by Key Vault (the private
half never leaves it). ``derive_key`` has Key Vault sign a fixed digest of the tenant and
purpose with RS256 (deterministic PKCS#1 v1.5) under the current version and hashes the signature:
only a holder of the private half can compute it. Needs keys/get, keys/unwrapKey, keys/sign and,
for the first key and ``rotate``, keys/create (Key Vault Crypto Officer, or Crypto User when infra
creates the keys); keys are created with the wrapKey, unwrapKey and sign operations.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from shared.adapters.azure_errors import map_azure_error
from shared.adapters.keys.envelope import EnvelopeKeyProvider, WrapAlgorithm, decryption_failed
from shared.domain.tenant import validate_slug

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.keyvault.keys import KeyVaultKey

_VERSION = re.compile(r"[0-9A-Za-z]{1,64}")


def key_vault_key_name(tenant: str) -> str:
    """The Key Vault key of a tenant: ``tenant-<slug>``."""
    return f"tenant-{validate_slug(tenant)}"


class KeyVaultKeyProvider(EnvelopeKeyProvider):
    """Envelope encryption with one Key Vault RSA key per tenant.

    ``credential`` defaults to ``DefaultAzureCredential``; ``client_kwargs`` go to the SDK
    clients (tests pass ``connection_verify`` and ``verify_challenge_resource``). SDK retries
    are off: retries belong to the orchestrator. ``key_size`` applies to keys this adapter
    creates.
    """

    wrap_algorithm = WrapAlgorithm.RSA_OAEP_256

    def __init__(
        self,
        vault_url: str,
        credential: TokenCredential | None = None,
        *,
        key_size: int = 3072,
        **client_kwargs: Any,
    ) -> None:
        from azure.keyvault.keys import KeyClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._credential = credential
        self._client_kwargs = {"retry_total": 0, **client_kwargs}
        self._key_size = key_size
        self._client = KeyClient(vault_url, credential, **self._client_kwargs)

    def rotate(self, tenant: str) -> str:
        return self._create_key(tenant).properties.version or ""

    def derive_key(self, tenant: str, purpose: str) -> bytes:
        from azure.core.exceptions import AzureError
        from azure.keyvault.keys.crypto import SignatureAlgorithm

        key = self._current_key(tenant)
        name = key_vault_key_name(tenant)
        crypto = self._client.get_cryptography_client(name, key_version=key.properties.version)
        digest = hashlib.sha256(f"derive|{tenant}|{purpose}".encode()).digest()
        try:
            signature = crypto.sign(SignatureAlgorithm.rs256, digest).signature
        except AzureError as exc:
            raise map_azure_error(exc, f"sign with key {name}") from exc
        return hashlib.sha256(b"derived-key|" + signature).digest()

    def _current_key(self, tenant: str) -> KeyVaultKey:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        name = key_vault_key_name(tenant)
        try:
            return self._client.get_key(name)
        except ResourceNotFoundError:
            return self._create_key(tenant)
        except AzureError as exc:
            raise map_azure_error(exc, f"get key {name}") from exc

    def _wrap(self, tenant: str, data_key: bytes) -> tuple[str, bytes]:
        from azure.core.exceptions import AzureError
        from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm

        name = key_vault_key_name(tenant)
        key = self._current_key(tenant)
        crypto = CryptographyClient(key, self._credential, **self._client_kwargs)
        try:
            wrapped = crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, data_key)
        except AzureError as exc:
            raise map_azure_error(exc, f"wrap with key {name}") from exc
        return key.properties.version or "", wrapped.encrypted_key

    def _unwrap(self, tenant: str, key_version: str, wrapped_key: bytes) -> bytes:
        from azure.core.exceptions import AzureError, HttpResponseError
        from azure.keyvault.keys.crypto import KeyWrapAlgorithm

        name = key_vault_key_name(tenant)
        if not _VERSION.fullmatch(key_version):
            raise decryption_failed(f"no key version {key_version!r}")
        crypto = self._client.get_cryptography_client(name, key_version=key_version)
        try:
            return crypto.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped_key).key
        except HttpResponseError as exc:
            # 404: no such version of this tenant's key; 400: the key does not unwrap it.
            if exc.status_code in (400, 404):
                raise decryption_failed(f"key {name}/{key_version}: {exc.status_code}") from exc
            raise map_azure_error(exc, f"unwrap with key {name}/{key_version}") from exc
        except AzureError as exc:
            raise map_azure_error(exc, f"unwrap with key {name}/{key_version}") from exc

    def _create_key(self, tenant: str) -> KeyVaultKey:
        from azure.core.exceptions import AzureError
        from azure.keyvault.keys import KeyOperation

        name = key_vault_key_name(tenant)
        try:
            return self._client.create_rsa_key(
                name,
                size=self._key_size,
                key_operations=[KeyOperation.wrap_key, KeyOperation.unwrap_key, KeyOperation.sign],
            )
        except AzureError as exc:
            raise map_azure_error(exc, f"create key {name}") from exc
