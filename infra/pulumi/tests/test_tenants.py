"""TenantStack: each tenant owns its database, key, encryption scope and secrets, and adding
or removing a tenant changes nothing but that tenant's resources."""

from __future__ import annotations

import pytest

from tests.harness import Deployment, run_program, stack_config, with_values

TENANT = "aica:tenant:TenantStack"
DEV_TENANTS = [
    {"slug": "contoso", "displayName": "Contoso Ltd", "providers": ["github"]},
    {"slug": "fabrikam", "displayName": "Fabrikam Inc", "providers": ["gitlab", "azure-devops"]},
]
SECRETS = {
    "contoso": {"webhook-github", "scm-token-github"},
    "fabrikam": {
        "webhook-gitlab",
        "scm-token-gitlab",
        "webhook-azure-devops",
        "scm-token-azure-devops",
        "webhook-azure-devops-header",
    },
}
NEW_TENANT = {"slug": "northwind-traders", "displayName": "Northwind Traders"}


@pytest.fixture(scope="module")
def three_tenants() -> Deployment:
    config = with_values(stack_config("dev"), tenants=[*DEV_TENANTS, NEW_TENANT])
    return run_program(config, stack="dev")


def owned_by(deployment: Deployment, slug: str) -> list:
    (stack,) = [r for r in deployment.of_type(TENANT) if r.name == f"tenant-{slug}"]
    return deployment.children_of(stack.urn)


@pytest.mark.parametrize("slug", ["contoso", "fabrikam"])
def test_each_tenant_gets_its_own_database_key_scope_and_secrets(dev: Deployment, slug: str):
    children = {r.type.split(":")[-1] + ":" + r.name: r for r in owned_by(dev, slug)}
    database = children[f"Database:{slug}-db"]
    assert database.inputs["databaseName"] == f"tenant_{slug}"
    assert database.protect, "deleting a tenant database must need an explicit unprotect"

    key = children[f"Key:{slug}-key"]
    assert key.protect
    assert key.inputs["keyName"] == f"tenant-{slug}"
    props = key.inputs["properties"]
    assert (props["kty"], props["keySize"]) == ("RSA", 3072)
    assert sorted(props["keyOps"]) == ["sign", "unwrapKey", "wrapKey"]
    actions = {
        a["action"]["type"]: a["trigger"] for a in props["rotationPolicy"]["lifetimeActions"]
    }
    assert actions == {"rotate": {"timeAfterCreate": "P1Y"}, "notify": {"timeBeforeExpiry": "P30D"}}
    assert key.inputs["tags"]["tenant"] == slug

    scope = children[f"EncryptionScope:{slug}-encryption-scope"]
    assert scope.inputs["encryptionScopeName"] == f"tenant-{slug}"
    assert scope.inputs["source"] == "Microsoft.KeyVault"
    assert scope.inputs["keyVaultProperties"]["keyUri"] == key.outputs["keyUri"]

    # Named as the app's Key Vault SecretStore reads them: <slug>--<name>.
    secrets = {r.inputs["secretName"]: r for r in children.values() if r.type.endswith("Secret")}
    assert set(secrets) == {f"{slug}--{name}" for name in SECRETS[slug]}
    for secret in secrets.values():
        properties = secret.inputs["properties"]
        assert properties["contentType"] == "placeholder"
        assert properties["attributes"]["enabled"] is False, "a known placeholder must be unusable"
        assert secret.ignore_changes == ("properties",), "real values are set out of band"
        assert secret.retain_on_delete

    grants = [r for r in children.values() if r.type.endswith("RoleAssignment")]
    assert {g.inputs["scope"] for g in grants} == {key.id}, "key access is scoped to this key"


def azure_names(deployment: Deployment, slug: str) -> set[tuple[str, str]]:
    keys = ("databaseName", "keyName", "encryptionScopeName", "secretName")
    return {(k, r.inputs[k]) for r in owned_by(deployment, slug) for k in keys if k in r.inputs}


def test_tenants_share_no_database_key_scope_or_secret(dev: Deployment):
    contoso, fabrikam = azure_names(dev, "contoso"), azure_names(dev, "fabrikam")
    assert len(contoso) == 5 and len(fabrikam) == 8
    assert all("contoso" in name for _, name in contoso)
    assert all("fabrikam" in name for _, name in fabrikam)
    assert not contoso & fabrikam


def test_adding_a_tenant_adds_only_that_tenants_resources(
    dev: Deployment, three_tenants: Deployment
):
    before, after = dev.fingerprint(), three_tenants.fingerprint()
    removed = before.keys() - after.keys()
    changed = [urn for urn in before.keys() & after.keys() if before[urn] != after[urn]]
    added = after.keys() - before.keys()
    assert removed == set()
    assert changed == [], f"existing resources changed: {changed}"
    new_stack = [r for r in three_tenants.of_type(TENANT) if r.name == "tenant-northwind-traders"]
    expected = {new_stack[0].urn} | {r.urn for r in owned_by(three_tenants, "northwind-traders")}
    assert added == expected
    kinds = sorted(urn.split("::")[-2].split("$")[-1].split(":")[-1] for urn in added)
    assert kinds == [
        "Database",
        "EncryptionScope",
        "Key",
        "RoleAssignment",
        "RoleAssignment",
        "Secret",
        "Secret",
        "TenantStack",
    ]


def test_removing_a_tenant_removes_only_its_resources_and_protection_guards_its_data(
    dev: Deployment, three_tenants: Deployment
):
    # Going from three tenants back to two is the reverse diff.
    removed = [r for r in three_tenants.registrations if r.urn not in dev.fingerprint()]
    assert {r.name for r in removed} == {
        "tenant-northwind-traders",
        "northwind-traders-db",
        "northwind-traders-key",
        "northwind-traders-encryption-scope",
        "northwind-traders-scm-token-github",
        "northwind-traders-webhook-github",
        "northwind-traders-app-crypto-user",
        "northwind-traders-storage-crypto-service",
    }
    protected = {r.name for r in removed if r.protect}
    assert protected == {"northwind-traders-db", "northwind-traders-key"}
    retained = {r.name for r in removed if r.retain_on_delete}
    assert retained == {"northwind-traders-scm-token-github", "northwind-traders-webhook-github"}
