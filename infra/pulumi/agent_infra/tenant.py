"""TenantStack: everything one tenant owns, and nothing another tenant's change touches.

Per tenant: a PostgreSQL database, a Key Vault key (RSA 3072, wrap/unwrap only, rotated yearly)
for envelope encryption of its sensitive fields, a blob encryption scope under that key, and its
webhook and SCM token secret entries (disabled placeholders) named as the app reads them.
Logical names derive from the slug, so adding or removing a tenant adds or removes only these
resources. The key and the database are
protected: removing a tenant from the config fails until an operator unprotects them on purpose
(``pulumi state unprotect``), because deleting either destroys the tenant's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import dbforpostgresql as pg
from pulumi_azure_native import keyvault, storage

from agent_infra.access import grant
from agent_infra.naming import (
    tenant_database_name,
    tenant_encryption_scope_name,
    tenant_key_name,
    tenant_secret_name,
)
from agent_infra.vault import placeholder_secret

KEY_SIZE = 3072
KEY_OPERATIONS = ("wrapKey", "unwrapKey", "sign")  # sign: derived keys (KeyProvider.derive_key)
KEY_ROTATE_AFTER = "P1Y"
KEY_EXPIRES_AFTER = "P2Y"
KEY_NOTIFY_BEFORE_EXPIRY = "P30D"


def secret_names(providers: tuple[str, ...]) -> list[str]:
    """The SecretStore names the app reads for a tenant: per SCM its webhook secret
    (``webhook-<provider>``, Azure DevOps also ``webhook-azure-devops-header``) and the token
    its SCM connection names (``scm-token-<provider>``)."""
    names = []
    for provider in providers:
        names += [f"webhook-{provider}", f"scm-token-{provider}"]
        if provider == "azure-devops":
            names.append("webhook-azure-devops-header")
    return names


@dataclass(frozen=True)
class TenantStackArgs:
    slug: str
    providers: tuple[str, ...]
    resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    postgres_server_name: pulumi.Input[str]
    artifact_account_name: pulumi.Input[str]
    artifact_storage: pulumi.Resource
    artifact_principal_id: pulumi.Input[str]  # the artifact account's identity (CMK access)
    app_principal_id: pulumi.Input[str]  # the Function App's identity
    subscription_id: pulumi.Input[str]
    tags: dict[str, str]


class TenantStack(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: TenantStackArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:tenant:TenantStack", name, None, opts)
        slug = args.slug
        self.database = pg.Database(
            f"{slug}-db",
            database_name=tenant_database_name(slug),
            server_name=args.postgres_server_name,
            resource_group_name=args.resource_group_name,
            charset="UTF8",
            collation="en_US.utf8",
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.key = keyvault.Key(
            f"{slug}-key",
            key_name=tenant_key_name(slug),
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            properties=keyvault.KeyPropertiesArgs(
                kty="RSA",
                key_size=KEY_SIZE,
                key_ops=list(KEY_OPERATIONS),
                rotation_policy=keyvault.RotationPolicyArgs(
                    attributes=keyvault.KeyRotationPolicyAttributesArgs(
                        expiry_time=KEY_EXPIRES_AFTER
                    ),
                    lifetime_actions=[
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type="rotate"),
                            trigger=keyvault.TriggerArgs(time_after_create=KEY_ROTATE_AFTER),
                        ),
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type="notify"),
                            trigger=keyvault.TriggerArgs(
                                time_before_expiry=KEY_NOTIFY_BEFORE_EXPIRY
                            ),
                        ),
                    ],
                ),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        # The app wraps and unwraps this tenant's data keys; only on this key.
        grant(
            f"{slug}-app-crypto-user",
            role="Key Vault Crypto User",
            principal_id=args.app_principal_id,
            scope=self.key.id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        storage_access = grant(
            f"{slug}-storage-crypto-service",
            role="Key Vault Crypto Service Encryption User",
            principal_id=args.artifact_principal_id,
            scope=self.key.id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.encryption_scope = storage.EncryptionScope(
            f"{slug}-encryption-scope",
            encryption_scope_name=tenant_encryption_scope_name(slug),
            account_name=args.artifact_account_name,
            resource_group_name=args.resource_group_name,
            source="Microsoft.KeyVault",
            key_vault_properties=storage.EncryptionScopeKeyVaultPropertiesArgs(
                key_uri=self.key.key_uri  # versionless: follows the key's rotations
            ),
            state="Enabled",
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[storage_access, args.artifact_storage]
            ),
        )
        self.secrets = {
            secret: placeholder_secret(
                f"{slug}-{secret}",
                secret_name=tenant_secret_name(slug, secret),
                vault_name=args.vault_name,
                resource_group_name=args.resource_group_name,
                tags=args.tags,
                parent=self,
            )
            for secret in secret_names(args.providers)
        }
        self.register_outputs(
            {
                "database": self.database.name,
                "key_uri": self.key.key_uri,
                "encryption_scope": self.encryption_scope.name,
            }
        )
