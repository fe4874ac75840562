"""Azure name rules, checked for every prefix/environment length the settings allow."""

from __future__ import annotations

import re

import pytest
from agent_infra.naming import (
    InvalidName,
    Naming,
    check_key_vault_name,
    check_storage_account_name,
    tenant_database_name,
    tenant_encryption_scope_name,
    tenant_key_name,
    tenant_secret_name,
    validate_slug,
)

# The app's own rule (shared/domain/tenant.py); infra slugs must be a subset of it.
APP_SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
PREFIXES = ["ab", "aica", "contoso1", "abcdefghij"]
ENVIRONMENTS = ["d", "dev", "prod", "staging1"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_generated_storage_and_vault_names_respect_azure_limits(prefix: str, environment: str):
    naming = Naming(prefix, environment, "swedencentral", "ai-code-agent-infra/prod")
    for purpose in ("func", "art", "models"):
        name = naming.storage_account(purpose)
        assert re.fullmatch(r"[a-z0-9]{3,24}", name), name
        assert name.endswith(naming.suffix)
    vault = naming.key_vault()
    assert 3 <= len(vault) <= 24, vault
    assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]", vault) and "--" not in vault


def test_names_are_stable_for_a_stack_and_distinct_between_stacks():
    prod = Naming("aica", "prod", "swedencentral", "ai-code-agent-infra/prod")
    again = Naming("aica", "prod", "swedencentral", "ai-code-agent-infra/prod")
    other = Naming("aica", "prod", "swedencentral", "ai-code-agent-infra/prod-eu2")
    assert prod.storage_account("art") == again.storage_account("art")
    assert prod.key_vault() == again.key_vault()
    assert prod.storage_account("art") != other.storage_account("art")
    assert prod.global_name("func") != other.global_name("func")


@pytest.mark.parametrize(
    "name", ["ab", "a" * 25, "Staicaprod", "st-aica-prod", "staica_prod", "stäicaprod"]
)
def test_invalid_storage_account_names_are_refused(name: str):
    with pytest.raises(InvalidName):
        check_storage_account_name(name)


@pytest.mark.parametrize(
    "name", ["kv", "k" * 25, "1kv-aica", "kv-aica-", "kv--aica", "kv_aica", "-kv-aica"]
)
def test_invalid_key_vault_names_are_refused(name: str):
    with pytest.raises(InvalidName):
        check_key_vault_name(name)


@pytest.mark.parametrize("name", ["abc", "a" * 24, "staicaprodart1a2b3c"])
def test_valid_storage_account_names_pass(name: str):
    assert check_storage_account_name(name) == name


@pytest.mark.parametrize("name", ["kv1", "k" * 24, "kv-aicaprod-1a2b3c", "KV-Aica-9"])
def test_valid_key_vault_names_pass(name: str):
    assert check_key_vault_name(name) == name


@pytest.mark.parametrize("prefix", ["a", "Aica", "aica-x", "abcdefghijk", "1aica"])
def test_prefixes_that_would_break_names_are_refused(prefix: str):
    with pytest.raises(InvalidName):
        Naming(prefix, "prod", "swedencentral", "seed")


def test_tenant_names_derive_from_the_slug():
    assert tenant_database_name("northwind-traders") == "tenant_northwind_traders"
    assert tenant_key_name("northwind-traders") == "tenant-northwind-traders"
    assert tenant_encryption_scope_name("northwind-traders") == "tenant-northwind-traders"
    # The app's Key Vault layout for tenant secrets: <slug>--<name>.
    assert tenant_secret_name("contoso", "webhook-github") == "contoso--webhook-github"
    with pytest.raises(InvalidName):
        tenant_secret_name("contoso", "Webhook--github")


@pytest.mark.parametrize(
    "slug", ["c", "Contoso", "1contoso", "con--toso", "contoso-", "con_toso", "a" * 42, ""]
)
def test_invalid_tenant_slugs_are_refused(slug: str):
    with pytest.raises(InvalidName):
        validate_slug(slug)


@pytest.mark.parametrize("slug", ["co", "contoso", "northwind-traders", "t1-x2", "a" * 41])
def test_valid_slugs_are_valid_for_the_app_and_every_derived_name(slug: str):
    assert APP_SLUG_PATTERN.fullmatch(validate_slug(slug))
    assert len(tenant_database_name(slug)) <= 63
    assert len(tenant_secret_name(slug, "webhook-azure-devops-header")) <= 127
    tenant_encryption_scope_name(slug)
