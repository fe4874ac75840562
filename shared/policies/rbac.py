"""Role-based access: Entra app roles mapped to what a caller may do on a tenant's tasks."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import IntEnum, StrEnum

from shared.auth.entra import Principal
from shared.domain.approval import ScmIdentity
from shared.domain.errors import PermissionDenied


class Role(IntEnum):
    """App roles, ordered: each includes the rights of those below it."""

    VIEWER = 1
    APPROVER = 2
    ADMIN = 3


_BY_NAME = {
    "Viewer": Role.VIEWER,
    "Approver": Role.APPROVER,
    "Admin": Role.ADMIN,
    "TenantAdmin": Role.ADMIN,
}


def highest_role(principal: Principal) -> Role | None:
    ranks = [_BY_NAME[r] for r in principal.roles if r in _BY_NAME]
    return max(ranks) if ranks else None


def require_role(principal: Principal, needed: Role) -> None:
    """Raise ``PermissionDenied`` unless the caller holds ``needed`` or a higher role."""
    role = highest_role(principal)
    if role is None or role < needed:
        raise PermissionDenied(f"the {needed.name.title()} role is required")


class AppRole(StrEnum):
    """The admin API's Entra app roles. ``PlatformAdmin`` is platform-wide (the operators' own
    directory); the others are rights on one tenant."""

    PLATFORM_ADMIN = "PlatformAdmin"
    TENANT_ADMIN = "TenantAdmin"
    APPROVER = "Approver"
    AUDITOR = "Auditor"
    VIEWER = "Viewer"


TENANT_ROLES = frozenset({AppRole.TENANT_ADMIN, AppRole.APPROVER, AppRole.AUDITOR, AppRole.VIEWER})
#: What holding a role grants. Auditing stays apart from administering (separation of duties):
#: a TenantAdmin cannot read the audit log, an Auditor cannot change anything.
_GRANTS: dict[AppRole, frozenset[AppRole]] = {
    AppRole.PLATFORM_ADMIN: frozenset({AppRole.PLATFORM_ADMIN}),
    AppRole.TENANT_ADMIN: frozenset({AppRole.TENANT_ADMIN, AppRole.APPROVER, AppRole.VIEWER}),
    AppRole.APPROVER: frozenset({AppRole.APPROVER, AppRole.VIEWER}),
    AppRole.AUDITOR: frozenset({AppRole.AUDITOR, AppRole.VIEWER}),
    AppRole.VIEWER: frozenset({AppRole.VIEWER}),
}
_ALIASES = {"Admin": AppRole.TENANT_ADMIN}


def app_roles(names: Iterable[str]) -> frozenset[AppRole]:
    """The app roles named (unknown names ignored; the legacy ``Admin`` is ``TenantAdmin``)."""
    found = {_ALIASES.get(n) or AppRole(n) for n in names if n in _ALIASES or n in _GRANTS}
    return frozenset(found)


def granted(roles: Iterable[AppRole]) -> frozenset[AppRole]:
    """Every role whose rights ``roles`` include."""
    return frozenset(r for role in roles for r in _GRANTS[role])


def require_any(held: frozenset[AppRole], allowed: frozenset[AppRole]) -> None:
    """``PermissionDenied`` unless ``held`` (already ``granted``) meets one of ``allowed``."""
    if not held & allowed:
        names = " or ".join(sorted(allowed))
        raise PermissionDenied(f"this operation needs the {names} role", code="role-required")


def approver_refusal(
    requester: ScmIdentity,
    approver: Collection[ScmIdentity],
    *,
    allow_unlinked: bool,
) -> str | None:
    """Why someone whose SCM identities are ``approver`` may not decide on a task requested by
    ``requester`` (``None``: they may).

    Identities come from the tenant's links (SCM user <-> Entra object id), so the requester is
    recognised under any of their linked accounts. Someone with no linked identity cannot be
    told apart from the requester: refused unless the tenant's policy allows unlinked approvers.
    """
    if requester in approver:
        return "requester-cannot-approve"
    if not approver and not allow_unlinked:
        return "identity-not-linked"
    return None
