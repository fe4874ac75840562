"""Role-based access: Entra app roles mapped to what a caller may do on a tenant's tasks."""

from __future__ import annotations

from enum import IntEnum

from shared.auth.entra import Principal
from shared.domain.errors import PermissionDenied


class Role(IntEnum):
    """App roles, ordered: each includes the rights of those below it."""

    VIEWER = 1
    APPROVER = 2
    ADMIN = 3


_BY_NAME = {"Viewer": Role.VIEWER, "Approver": Role.APPROVER, "Admin": Role.ADMIN}


def highest_role(principal: Principal) -> Role | None:
    ranks = [_BY_NAME[r] for r in principal.roles if r in _BY_NAME]
    return max(ranks) if ranks else None


def require_role(principal: Principal, needed: Role) -> None:
    """Raise ``PermissionDenied`` unless the caller holds ``needed`` or a higher role."""
    role = highest_role(principal)
    if role is None or role < needed:
        raise PermissionDenied(f"the {needed.name.title()} role is required")


def same_person(principal: Principal, scm_user: str, identity_map: dict[str, str]) -> bool:
    """Whether the Entra principal is the SCM user (through the tenant's identity map, or the
    username's local part)."""
    wanted = identity_map.get(scm_user, scm_user).lower()
    username = principal.username.lower()
    return wanted in {username, username.split("@", 1)[0], principal.object_id.lower()}
