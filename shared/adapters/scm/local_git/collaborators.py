"""Who may push to a local_git repository: its own collaborator records, in the tenant's schema.

A bare repository has no permission model, so local_git keeps one like a forge's collaborator
list (``read``, ``write``, ``admin``); people not listed may not push. The demo and tests grant
access through ``LocalCollaborators.grant``.
"""

from __future__ import annotations

from shared.adapters.scm.connection import BoundConnection
from shared.adapters.store.postgres.database import Database
from shared.domain.access import RepositoryAccess, ScmUser
from shared.domain.errors import InvalidInput
from shared.ports.scm.permissions import RepositoryPermissions
from shared.ports.tenants import TenantDirectory

PERMISSIONS = ("read", "write", "admin")
WRITER_PERMISSIONS = frozenset({"write", "admin"})


class LocalCollaborators:
    """Collaborator records of one tenant's local repositories. Construction does no I/O."""

    def __init__(self, db: Database, tenants: TenantDirectory) -> None:
        self._db = db
        self._tenants = tenants

    def grant(self, tenant: str, repository: str, username: str, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise InvalidInput(f"unknown permission {permission!r}", code="invalid-permission")
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            tx.conn.execute(
                "INSERT INTO scm_collaborators (repository, username, permission) "
                "VALUES (%s, %s, %s) ON CONFLICT (repository, username) "
                "DO UPDATE SET permission = EXCLUDED.permission",
                (repository, username.strip().casefold(), permission),
            )

    def revoke(self, tenant: str, repository: str, username: str) -> None:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            tx.conn.execute(
                "DELETE FROM scm_collaborators WHERE repository = %s AND username = %s",
                (repository, username.strip().casefold()),
            )

    def permission(self, tenant: str, repository: str, username: str) -> str | None:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            row = tx.conn.execute(
                "SELECT permission FROM scm_collaborators WHERE repository = %s AND username = %s",
                (repository, username.strip().casefold()),
            ).fetchone()
        return None if row is None else str(row["permission"])


class LocalGitPermissions(RepositoryPermissions):
    """``RepositoryPermissions`` of one local_git connection; it acts as ``account``."""

    def __init__(
        self, bound: BoundConnection, collaborators: LocalCollaborators, account: str
    ) -> None:
        self._bound = bound
        self._collaborators = collaborators
        self._account = account

    def access(
        self, tenant: str, user: ScmUser, *, writer_groups: tuple[str, ...] = ()
    ) -> RepositoryAccess:
        self._bound.check(tenant)
        repository = self._bound.connection.repository
        role = self._collaborators.permission(tenant, repository, user.name) or "none"
        return RepositoryAccess(user.name, role in WRITER_PERMISSIONS, role)

    def own_account(self, tenant: str) -> str:
        self._bound.check(tenant)
        return self._account
