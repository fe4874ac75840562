"""Key Vault secrets through the real azure-keyvault-secrets SDK, against a local vault."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.secrets.keyvault import key_vault_secret_name
from shared.domain.errors import Conflict, PermissionDenied, RateLimited, Unavailable
from shared.domain.tenant import SLUG_PATTERN
from shared.ports.secrets import SECRET_NAME_PATTERN


def test_secret_is_stored_under_tenant_double_dash_name(key_vault, key_vault_secrets) -> None:
    key_vault_secrets.set("acme", "scm-token", "v1")
    key_vault_secrets.set("acme", "scm-token", "v2")
    assert [value for _, value in key_vault.state.secrets["acme--scm-token"]] == ["v1", "v2"]


_LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"
_tenants = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.text(alphabet=_LOWER_DIGITS + "-", min_size=1, max_size=40),
).filter(SLUG_PATTERN.fullmatch)
_names = (
    st.lists(st.text(alphabet=_LOWER_DIGITS, min_size=1, max_size=8), min_size=1, max_size=6)
    .map("-".join)
    .filter(SECRET_NAME_PATTERN.fullmatch)
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_tenants, _names)
def test_vault_name_splits_back_into_tenant_and_name(tenant, name) -> None:
    """So no two tenants' secrets ever share a Key Vault name."""
    assert key_vault_secret_name(tenant, name).rsplit("--", 1) == [tenant, name]


@pytest.mark.parametrize(("tenant", "name"), [("ab-", "c"), ("ab--c", "d"), ("ab", "c-d")])
def test_vault_name_of_tricky_tenants_splits_back(tenant, name) -> None:
    assert key_vault_secret_name(tenant, name).rsplit("--", 1) == [tenant, name]


def test_name_of_a_deleted_secret_stays_taken(key_vault_secrets) -> None:
    key_vault_secrets.set("acme", "scm-token", "v1")
    key_vault_secrets.delete("acme", "scm-token")
    with pytest.raises(Conflict):
        key_vault_secrets.set("acme", "scm-token", "v2")


def test_throttling_maps_to_rate_limited_without_sdk_retries(key_vault, key_vault_secrets) -> None:
    key_vault_secrets.set("acme", "scm-token", "v1")
    key_vault.state.requests.clear()
    key_vault.fail_next(429, {"Retry-After": "3"})
    with pytest.raises(RateLimited) as caught:
        key_vault_secrets.get("acme", "scm-token")
    assert caught.value.retry_after == 3.0
    assert key_vault.state.requests == [("GET", "/secrets/acme--scm-token")]


@pytest.mark.parametrize(("status", "error"), [(403, PermissionDenied), (500, Unavailable)])
def test_vault_errors_map_to_domain_errors(key_vault, key_vault_secrets, status, error) -> None:
    key_vault.fail_next(status)
    with pytest.raises(error):
        key_vault_secrets.set("acme", "scm-token", "v1")
    assert len(key_vault.state.requests) == 1
