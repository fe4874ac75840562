"""Identity links for a tenant, managed by its TenantAdmins (API) and operators (CLI).

A link says that an SCM user (as tasks record their requester) is the person behind an Entra
object id. Approvals are judged on these links (see ``shared.services.approvals``), so changing
them is as sensitive as granting a role: it needs the ``TenantAdmin`` role and every change is
audited in the tenant's chain (``identity.linked`` / ``identity.unlinked``).
"""

from __future__ import annotations

from typing import Any

from shared.auth.entra import Principal
from shared.domain.approval import IdentityLink, object_id, scm_identity
from shared.domain.errors import InvalidInput
from shared.policies.rbac import Role, require_role
from shared.ports.approvals import ApprovalStore


class IdentityLinks:
    def __init__(self, store: ApprovalStore) -> None:
        self._store = store

    def list(self, tenant: str, principal: Principal | None) -> list[dict[str, Any]]:
        """The tenant's links; ``principal`` is ``None`` only for the operator's CLI."""
        _require_admin(principal)
        return [k.to_json() for k in self._store.links(tenant)]

    def link(
        self, tenant: str, principal: Principal | None, provider: str, scm_user: str, body: Any
    ) -> dict[str, Any]:
        """Link ``provider:scm_user`` to ``body["object_id"]`` (replacing an earlier link)."""
        _require_admin(principal)
        if not isinstance(body, dict) or set(body) != {"object_id"}:
            raise InvalidInput('the body must be {"object_id": "<GUID>"}', code="invalid-body")
        who = scm_identity(provider, scm_user)
        link = IdentityLink(*who, object_id(body["object_id"]), _actor(principal))
        return self._store.link(tenant, link).to_json()

    def unlink(
        self, tenant: str, principal: Principal | None, provider: str, scm_user: str
    ) -> None:
        _require_admin(principal)
        self._store.unlink(tenant, *scm_identity(provider, scm_user), actor=_actor(principal))


def _require_admin(principal: Principal | None) -> None:
    if principal is not None:
        require_role(principal, Role.ADMIN)


def _actor(principal: Principal | None) -> str:
    return "operator (tools.admin)" if principal is None else principal.username
