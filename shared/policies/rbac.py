"""Role-based access: Entra app roles mapped to what a caller may do on a tenant's tasks."""

from __future__ import annotations

from collections.abc import Collection
from enum import IntEnum

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
