"""The app's two PostgreSQL logins in Azure, each a user-assigned managed identity that the
Function App carries (the same two-login model as locally, see ``shared/adapters/store/postgres/
roles.py``):

- the **provisioner** is the server's Entra ID administrator (``azure_pg_admin``: CREATEDB,
  CREATEROLE): it creates and owns the tenant databases, roles and objects and runs migrations;
- the **app** login is a plain role that owns nothing. ARM can only make administrators, so the
  provisioner creates it (``pgaadauth_create_principal_with_oid``) before the app first logs in.

Both are user-assigned, not the Function App's system identity, because the app's settings must
name each login's client id and the app login's object id, and a system identity has them only
once the app itself exists. The system identity keeps everything else (Key Vault, storage).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import dbforpostgresql as pg
from pulumi_azure_native import managedidentity

from agent_infra.naming import Naming


@dataclass(frozen=True)
class PostgresLoginsArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    tenant_id: pulumi.Input[str]
    postgres_server_name: pulumi.Input[str]
    database: pulumi.Resource
    tags: dict[str, str]


class PostgresLogins(pulumi.ComponentResource):
    """``app`` and ``provisioner``: the identities; ``identity_ids``: what the Function App
    carries; ``app_settings``: what tells the app which identity each login uses."""

    def __init__(
        self, name: str, args: PostgresLoginsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:PostgresLogins", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.app_name = args.naming.regional("id-pg-app")
        self.provisioner_name = args.naming.regional("id-pg-provisioner")

        def identity(role: str, identity_name: str) -> managedidentity.UserAssignedIdentity:
            return managedidentity.UserAssignedIdentity(
                f"{name}-{role}",
                resource_name_=identity_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                opts=child,
            )

        self.app = identity("app", self.app_name)
        self.provisioner = identity("provisioner", self.provisioner_name)
        self.administrator = pg.Administrator(
            f"{name}-provisioner-admin",
            object_id=self.provisioner.principal_id,
            principal_name=self.provisioner_name,
            principal_type="ServicePrincipal",
            tenant_id=args.tenant_id,
            server_name=args.postgres_server_name,
            resource_group_name=args.resource_group_name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.database]),
        )
        self.identity_ids: list[pulumi.Output[str]] = [self.app.id, self.provisioner.id]
        # An Entra login's role name is its principal's name: a managed identity's own name.
        self.app_settings: dict[str, pulumi.Input[str]] = {
            "POSTGRES_USER": self.app_name,
            "POSTGRES_CLIENT_ID": self.app.client_id,
            "POSTGRES_OBJECT_ID": self.app.principal_id,
            "POSTGRES_ADMIN_USER": self.provisioner_name,
            "POSTGRES_ADMIN_CLIENT_ID": self.provisioner.client_id,
        }
        self.register_outputs({"app": self.app.id, "provisioner": self.provisioner.id})
