"""Who the console's signed-in user is: on one tenant (``whoAmI``), and which tenants they may
pick (``listMyTenants``).

What the console offers is read from the operation table that the dispatcher enforces
(``shared.api.operations``), so a button the console shows is one the API lets the caller use;
the API still checks every call (hiding a button is never the protection).

The tenant picker answers from the caller's token alone: a ``PlatformAdmin`` of the operators'
directory sees every tenant (for the platform pages; tenant pages still need a token of the
tenant's own directory); anyone else sees the tenants bound to the directory that signed their
token where they hold a role (the token's, where that directory holds only that tenant, or an
assignment), so nobody learns the names of tenants they cannot use.
"""

from __future__ import annotations

from typing import Any

from shared.api.operations import BY_ID
from shared.auth.entra import Principal
from shared.policies.rbac import AppRole, app_roles, granted
from shared.ports.tenants import TenantDirectory
from shared.services.admin.access import AccessService, Caller

#: Each console action and the operation whose roles allow it.
ACTIONS = {
    "approve": "decideTask",
    "cancel": "cancelTask",
    "admin_settings": "putPatchPolicy",
    "audit": "queryAudit",
    "usage": "getUsage",
}


def console_actions(roles: frozenset[AppRole]) -> dict[str, bool]:
    """What ``roles`` (already ``granted``) allow, by the operations' own role sets."""
    return {
        action: bool(roles & app_roles(BY_ID[op].roles or ())) for action, op in ACTIONS.items()
    }


def _names(roles: frozenset[AppRole]) -> list[str]:
    return sorted(str(r) for r in roles)


def _user(principal: Principal) -> dict[str, str]:
    return {"preferred_username": principal.username, "object_id": principal.object_id}


class ConsoleSession:
    def __init__(self, tenants: TenantDirectory, access: AccessService) -> None:
        self._tenants = tenants
        self._access = access

    def who_am_i(self, tenant: str, caller: Caller) -> dict[str, Any]:
        """The caller of a tenant operation (authenticated and holding a tenant role)."""
        record = self._tenants.get(tenant)
        directory = str(record.settings.get("entra_tenant_id") or "")
        from_token, assigned = self._access.role_sources(tenant, directory, caller.principal)
        return {
            "tenant": {"slug": record.slug, "display_name": record.display_name},
            "user": _user(caller.principal),
            "roles": _names(caller.roles),
            "token_roles": _names(from_token),
            "assigned_roles": _names(assigned),
            "may": console_actions(caller.roles),
        }

    def my_tenants(self, principal: Principal) -> dict[str, Any]:
        platform = self._access.platform_directory
        platform_admin = (
            bool(platform)
            and principal.tenant_id == platform
            and AppRole.PLATFORM_ADMIN in app_roles(principal.roles)
        )
        choices = []
        for record in sorted(self._tenants.list(), key=lambda t: t.slug):
            roles: frozenset[AppRole] = frozenset()
            if record.active and record.settings.get("entra_tenant_id") == principal.tenant_id:
                sources = self._access.role_sources(record.slug, principal.tenant_id, principal)
                roles = granted(sources[0] | sources[1])
            if roles or platform_admin:
                choices.append(
                    {
                        "slug": record.slug,
                        "display_name": record.display_name,
                        "roles": _names(roles),
                    }
                )
        return {
            "user": _user(principal),
            "directory": principal.tenant_id,
            "platform_admin": platform_admin,
            "tenants": choices,
        }
