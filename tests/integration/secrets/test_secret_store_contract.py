"""The SecretStore contract, run against every adapter and the fake."""

from __future__ import annotations

import pytest

from shared.adapters.secrets.local import LocalSecretStore
from shared.domain.errors import InvalidInput, InvalidTenantSlug, NotFound
from shared.ports.secrets import FakeSecretStore, SecretStore


@pytest.fixture(params=["local", "keyvault", "fake"])
def store(request, tmp_path) -> SecretStore:
    if request.param == "local":
        return LocalSecretStore(tmp_path)
    if request.param == "keyvault":
        return request.getfixturevalue("key_vault_secrets")
    return FakeSecretStore()


def test_set_then_get_returns_the_latest_value(store) -> None:
    store.set("acme", "github-webhook-secret", "first")
    store.set("acme", "github-webhook-secret", "second ✓ with unicode")
    assert store.get("acme", "github-webhook-secret") == "second ✓ with unicode"


def test_unknown_secret_is_not_found(store) -> None:
    with pytest.raises(NotFound):
        store.get("acme", "never-set")


def test_tenants_do_not_see_each_others_secrets(store) -> None:
    store.set("acme", "scm-token", "acme's")
    store.set("beta", "scm-token", "beta's")
    assert store.get("acme", "scm-token") == "acme's"
    assert store.get("beta", "scm-token") == "beta's"
    with pytest.raises(NotFound):
        store.get("gamma", "scm-token")


def test_delete_removes_and_is_idempotent(store) -> None:
    store.set("acme", "scm-token", "x")
    store.delete("acme", "scm-token")
    store.delete("acme", "scm-token")
    with pytest.raises(NotFound):
        store.get("acme", "scm-token")


@pytest.mark.parametrize(
    "name", ["", "UPPER", "under_score", "-lead", "trail-", "dou--ble", "a/b", "..", "x" * 81]
)
def test_invalid_secret_names_are_refused(store, name) -> None:
    with pytest.raises(InvalidInput) as caught:
        store.set("acme", name, "v")
    assert caught.value.code == "invalid-secret-name"


def test_invalid_tenant_is_refused(store) -> None:
    with pytest.raises(InvalidTenantSlug):
        store.get("../acme", "scm-token")
