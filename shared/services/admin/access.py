"""Who is calling the admin API, and with which roles on which tenant.

A tenant is bound to one Entra directory (``settings["entra_tenant_id"]``); its callers' tokens
must come from that directory (else 403). Their roles on the tenant are:

- the app roles in the token, when the directory holds only this tenant: a token names no
  platform tenant, so where one directory holds several tenants its app roles cannot say which
  one they are for, and count for none of them;
- plus, always, the roles the tenant assigned to the caller's object id (``role_assignments``):
  how a directory that holds several tenants grants rights per tenant.

``PlatformAdmin`` counts only in a token issued by the platform operators' own directory
(``ENTRA_PLATFORM_TENANT_ID``) and only for platform operations. Missing or bad tokens are 401
before anything about the tenant is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.auth.entra import EntraTokenValidator, Principal, bearer_token
from shared.domain.errors import InvalidInput, PermissionDenied, TenantDisabled
from shared.policies.rbac import TENANT_ROLES, AppRole, app_roles, granted, require_any
from shared.ports.admin import RoleAssignments
from shared.ports.tenants import TenantDirectory


@dataclass(frozen=True)
class Caller:
    """An authenticated caller and every role its grants include (``granted``)."""

    principal: Principal
    roles: frozenset[AppRole]

    @property
    def actor(self) -> str:
        """How audit events name the caller: user name and object id."""
        p = self.principal
        return f"{p.username} ({p.object_id})" if p.object_id else p.username


#: The operator at the CLI (``python -m tools.admin``): every right, named as such in the audit.
OPERATOR = Caller(Principal("", "operator (tools.admin)", "", frozenset()), frozenset(AppRole))


class AccessService:
    def __init__(
        self,
        tenants: TenantDirectory,
        assignments: RoleAssignments,
        validator: EntraTokenValidator,
        *,
        platform_directory: str,
    ) -> None:
        self._tenants = tenants
        self._assignments = assignments
        self._validator = validator
        self._platform = platform_directory

    def tenant_caller(self, tenant: str, authorization: str | None) -> Caller:
        """The caller of a tenant operation with its roles on ``tenant``."""
        token = bearer_token(authorization)
        record = self._tenants.get(tenant)
        directory = record.settings.get("entra_tenant_id")
        if not isinstance(directory, str) or not directory:
            raise PermissionDenied(
                f"tenant {tenant!r} is not bound to an Entra directory", code="no-directory"
            )
        principal = self._validator.validate(token, expected_tenant_id=directory)
        if not record.active:
            raise TenantDisabled(f"tenant {tenant!r} is disabled")
        from_token, assigned = self.role_sources(tenant, directory, principal)
        return Caller(principal, granted(from_token | assigned))

    def role_sources(
        self, tenant: str, directory: str, principal: Principal
    ) -> tuple[frozenset[AppRole], frozenset[AppRole]]:
        """The tenant roles of a caller of ``tenant`` (bound to ``directory``, whose token they
        hold), as (from the token, from the tenant's assignments), before ``granted``."""
        from_token = app_roles(principal.roles) & TENANT_ROLES
        if from_token and self._tenants.shares_directory(tenant, directory):
            from_token = frozenset()
        assigned = app_roles(self._assignments.roles_of(tenant, principal.object_id))
        return from_token, assigned & TENANT_ROLES

    def user_principal(self, authorization: str | None) -> Principal:
        """The caller of a ``user``-scope operation: a valid token of any directory (401 else);
        such operations answer only about the caller and the directory that signed its token."""
        return self._validator.validate_own_directory(bearer_token(authorization))

    @property
    def platform_directory(self) -> str:
        return self._platform

    def platform_caller(self, authorization: str | None) -> Caller:
        """The caller of a platform operation: ``PlatformAdmin`` of the operators' directory."""
        token = bearer_token(authorization)
        if not self._platform:
            raise PermissionDenied(
                "no platform directory is configured (ENTRA_PLATFORM_TENANT_ID)",
                code="no-platform-directory",
            )
        principal = self._validator.validate(token, expected_tenant_id=self._platform)
        roles = app_roles(principal.roles) & {AppRole.PLATFORM_ADMIN}
        return Caller(principal, granted(roles))

    def authorize(self, caller: Caller, allowed: frozenset[str]) -> None:
        require_any(caller.roles, app_roles(allowed))

    def role_assignments(self, tenant: str) -> list[dict[str, Any]]:
        return self._assignments.list(tenant)

    def assign_role(self, tenant: str, object_id: str, role: str, caller: Caller) -> dict[str, Any]:
        """Grant a tenant role to an Entra object id (audited ``role.assigned``)."""
        return self._assignments.assign(tenant, object_id, _tenant_role(role), actor=caller.actor)

    def revoke_role(self, tenant: str, object_id: str, role: str, caller: Caller) -> None:
        self._assignments.revoke(tenant, object_id, _tenant_role(role), actor=caller.actor)


def _tenant_role(role: str) -> str:
    if role not in TENANT_ROLES:
        names = ", ".join(sorted(TENANT_ROLES))
        raise InvalidInput(f"role must be one of {names}, got {role!r}", code="invalid-role")
    return role
