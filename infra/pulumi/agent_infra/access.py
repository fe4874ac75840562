"""Azure RBAC: built-in role ids and one helper to grant a role to a managed identity."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

# Built-in role definition ids (the same in every Azure subscription).
ROLES = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0a49b",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Durable Task Data Contributor": "0ad04412-c4d5-4796-b79c-f76d14c8d402",
    "Azure ContainerApps Session Executor": "0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0",
}


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/",
        subscription_id,
        "/providers/Microsoft.Authorization/roleDefinitions/",
        ROLES[role],
    )


def grant(
    logical: str,
    *,
    role: str,
    principal_id: pulumi.Input[str],
    scope: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    """Give a service principal (a managed identity) ``role`` on ``scope`` and nothing wider."""
    return authorization.RoleAssignment(
        logical,
        principal_id=principal_id,
        principal_type="ServicePrincipal",
        role_definition_id=role_definition_id(subscription_id, role),
        scope=scope,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on or []),
    )


@dataclass(frozen=True)
class AppAccessArgs:
    principal_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    vault_id: pulumi.Input[str]
    artifact_account_id: pulumi.Input[str]
    sandbox_pool_id: pulumi.Input[str]


class AppAccess(pulumi.ComponentResource):
    """What the Function App's identity may use beyond its own host: the vault's secrets, the
    artifact blobs and running checks in the sandbox session pool. Per-tenant key access is
    granted by each ``TenantStack``; PostgreSQL logins are identities of their own
    (``postgres_logins``)."""

    def __init__(self, name: str, args: AppAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:AppAccess", name, None, opts)
        for role, scope in (
            ("Key Vault Secrets User", args.vault_id),
            ("Storage Blob Data Contributor", args.artifact_account_id),
            ("Azure ContainerApps Session Executor", args.sandbox_pool_id),
        ):
            grant(
                f"{name}-{role.lower().replace(' ', '-')}",
                role=role,
                principal_id=args.principal_id,
                scope=scope,
                subscription_id=args.subscription_id,
                parent=self,
            )
        self.register_outputs({})
