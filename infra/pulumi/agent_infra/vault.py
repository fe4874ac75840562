"""Key Vault (RBAC mode, purge protection, private endpoint only) and secret placeholders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import keyvault

from agent_infra.naming import Naming
from agent_infra.network import Network

# Secret entries are created as DISABLED placeholders: their value is public (it is in this
# repository), so no one may be able to read and use it - a webhook signed with it must fail.
# Operators set the real value out of band (`az keyvault secret set` creates a new, enabled
# version), and Pulumi never touches the entry again (``ignore_changes``).
PLACEHOLDER = "placeholder: set the real value with `az keyvault secret set`"
PLACEHOLDER_CONTENT_TYPE = "placeholder"


@dataclass(frozen=True)
class VaultArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    tenant_id: pulumi.Input[str]
    network: Network
    tags: dict[str, str]
    secret_names: Mapping[str, str]  # app setting -> secret name


def placeholder_secret(
    logical: str,
    *,
    secret_name: str,
    vault_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> keyvault.Secret:
    """A secret entry whose value Pulumi creates once and never manages afterwards."""
    return keyvault.Secret(
        logical,
        secret_name=secret_name,
        vault_name=vault_name,
        resource_group_name=resource_group_name,
        properties=keyvault.SecretPropertiesArgs(
            value=pulumi.Output.secret(PLACEHOLDER),
            content_type=PLACEHOLDER_CONTENT_TYPE,
            attributes=keyvault.SecretAttributesArgs(enabled=False),
        ),
        tags=tags,
        opts=pulumi.ResourceOptions(
            parent=parent, ignore_changes=["properties"], retain_on_delete=True
        ),
    )


def key_vault_reference(secret: keyvault.Secret) -> pulumi.Output[str]:
    """``@Microsoft.KeyVault(SecretUri=...)`` on the versionless URI: rotations apply on the
    platform's next refresh without a deployment."""
    return secret.properties.apply(lambda p: f"@Microsoft.KeyVault(SecretUri={p.secret_uri})")


class Vault(pulumi.ComponentResource):
    """One vault for platform secrets and the tenants' keys and secrets. Access is by Azure RBAC
    only (no access policies); soft delete with purge protection makes deletions recoverable."""

    def __init__(self, name: str, args: VaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:Vault", name, None, opts)
        self.vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.naming.key_vault(),
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family="A", name="standard"),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                enable_purge_protection=True,
                public_network_access="Disabled",
                # AzureServices lets Storage reach tenant keys for blob encryption scopes.
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action="Deny", bypass="AzureServices"
                ),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        args.network.private_endpoint(name, target_id=self.vault.id, group_id="vault", parent=self)
        self.vault_name = self.vault.name
        self.vault_uri = self.vault.properties.apply(lambda p: p.vault_uri)
        self.secrets = {
            setting: placeholder_secret(
                f"{name}-{secret_name}",
                secret_name=secret_name,
                vault_name=self.vault.name,
                resource_group_name=args.resource_group_name,
                tags=args.tags,
                parent=self,
            )
            for setting, secret_name in args.secret_names.items()
        }
        self.register_outputs({"vault_uri": self.vault_uri})
