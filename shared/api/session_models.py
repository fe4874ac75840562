"""The admin API's bodies for the console's session: who the caller is, what their roles allow,
and the tenants they may pick."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.api.models import TenantRoleName


class UserView(BaseModel):
    preferred_username: str
    object_id: str


class TenantRef(BaseModel):
    slug: str
    display_name: str


class ConsoleActions(BaseModel):
    """What the caller's roles allow, read from the operation table (what the API enforces)."""

    approve: bool = Field(description="decideTask (a task still refuses its own requester)")
    cancel: bool = Field(description="cancelTask on any task (requesters: their own)")
    admin_settings: bool = Field(description="policies, connections, identities, roles")
    audit: bool = Field(description="queryAudit, verifyAudit, exportAudit")
    usage: bool = Field(description="getUsage")


class WhoAmI(BaseModel):
    tenant: TenantRef
    user: UserView
    roles: list[TenantRoleName] = Field(description="every role the grants include")
    token_roles: list[TenantRoleName] = Field(description="the token's roles that count here")
    assigned_roles: list[TenantRoleName] = Field(description="this tenant's role assignments")
    may: ConsoleActions


class TenantChoice(TenantRef):
    roles: list[TenantRoleName]


class MyTenants(BaseModel):
    """The tenants the caller may pick: a PlatformAdmin (of the operators' directory) sees every
    tenant; anyone else the tenants bound to their token's directory where they hold a role."""

    user: UserView
    directory: str
    platform_admin: bool
    tenants: list[TenantChoice]
