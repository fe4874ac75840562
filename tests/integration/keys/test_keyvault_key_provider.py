"""Key Vault tenant keys through the real azure-keyvault-keys SDK, against a local vault."""

from __future__ import annotations

import socket

import pytest

from shared.adapters.keys.envelope import Envelope
from shared.adapters.keys.keyvault import KeyVaultKeyProvider
from shared.adapters.keys.local import LocalKeyProvider
from shared.domain.errors import PermissionDenied, RateLimited, Unauthenticated, Unavailable
from tests.integration.keys.keyvault_server import StaticTokenCredential


def test_first_record_creates_the_tenant_key_and_asks_for_the_vault_scope(key_vault) -> None:
    credential = StaticTokenCredential()
    provider = KeyVaultKeyProvider(
        key_vault.url, credential, key_size=2048, **key_vault.client_kwargs()
    )
    envelope = Envelope.decode(provider.encrypt("acme", b"x"))
    [(version, _key)] = key_vault.state.keys["tenant-acme"]
    assert envelope.key_version == version
    assert credential.scopes == ["https://vault.azure.net/.default"]


def test_unwrapping_is_done_by_the_vault(key_vault, key_vault_keys) -> None:
    envelope = key_vault_keys.encrypt("acme", b"record")
    version = Envelope.decode(envelope).key_version
    key_vault.state.requests.clear()
    assert key_vault_keys.decrypt("acme", envelope) == b"record"
    assert ("POST", f"/keys/tenant-acme/{version}/unwrapkey") in key_vault.state.requests


def test_rotate_returns_the_new_vault_key_version(key_vault, key_vault_keys) -> None:
    key_vault_keys.encrypt("acme", b"x")
    version = key_vault_keys.rotate("acme")
    assert [v for v, _ in key_vault.state.keys["tenant-acme"]][-1] == version


def test_envelope_from_the_local_provider_does_not_open_here(key_vault_keys, tmp_path) -> None:
    envelope = LocalKeyProvider(tmp_path).encrypt("acme", b"x")
    with pytest.raises(PermissionDenied) as caught:
        key_vault_keys.decrypt("acme", envelope)
    assert caught.value.code == "decryption-failed"


def test_throttling_maps_to_rate_limited_without_sdk_retries(key_vault, key_vault_keys) -> None:
    key_vault_keys.encrypt("acme", b"x")
    key_vault.state.requests.clear()
    key_vault.fail_next(429, {"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        key_vault_keys.encrypt("acme", b"x")
    assert caught.value.retry_after == 7.0
    assert len(key_vault.state.requests) == 1


@pytest.mark.parametrize(("status", "error"), [(403, PermissionDenied), (503, Unavailable)])
def test_vault_errors_map_to_domain_errors(key_vault, key_vault_keys, status, error) -> None:
    envelope = key_vault_keys.encrypt("acme", b"x")
    key_vault.state.requests.clear()
    key_vault.fail_next(status)
    key_vault.fail_next(status)
    with pytest.raises(error):
        key_vault_keys.decrypt("acme", envelope)
    assert len(key_vault.state.requests) == 2  # get key (its error tolerated by the SDK), unwrap


def test_rejected_token_is_unauthenticated(key_vault) -> None:
    provider = KeyVaultKeyProvider(
        key_vault.url, StaticTokenCredential("wrong"), **key_vault.client_kwargs()
    )
    with pytest.raises(Unauthenticated):
        provider.rotate("acme")


def test_unreachable_vault_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = KeyVaultKeyProvider(f"https://127.0.0.1:{port}", StaticTokenCredential())
    with pytest.raises(Unavailable):
        provider.encrypt("acme", b"x")
