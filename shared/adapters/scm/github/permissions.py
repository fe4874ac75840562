"""Who may push to a GitHub repository: the collaborator permission endpoint.

``GET /repos/{owner}/{repo}/collaborators/{username}/permission`` answers the legacy
``permission`` (``admin``, ``write``, ``read``, ``none``), where ``maintain`` counts as ``write``
and custom roles as their base role, so ``write`` or ``admin`` means the person could push.
A 404 (no such user, or not visible to the connection) is "no access", not an error.
"""

from __future__ import annotations

from shared.adapters.scm.github.session import GithubSession
from shared.domain.access import RepositoryAccess, ScmUser
from shared.domain.errors import ScmNotFound
from shared.domain.scm import ScmAuth
from shared.ports.scm.permissions import RepositoryPermissions

WRITER_PERMISSIONS = frozenset({"admin", "maintain", "write"})


class GithubPermissions(RepositoryPermissions):
    def __init__(self, session: GithubSession) -> None:
        self._s = session

    def access(
        self, tenant: str, user: ScmUser, *, writer_groups: tuple[str, ...] = ()
    ) -> RepositoryAccess:
        repo = self._s.repo(tenant)
        try:
            with self._s.errors("collaborator permission"):
                permission = repo.get_collaborator_permission(user.name)
        except ScmNotFound:
            permission = "none"
        return RepositoryAccess(user.name, permission in WRITER_PERMISSIONS, permission)

    def own_account(self, tenant: str) -> str:
        """``GET /user`` for a token; a GitHub App installation has no user (its comments come
        from ``<app>[bot]``, which the trigger rules refuse by shape)."""
        if self._s.bound.connection.auth is ScmAuth.GITHUB_APP:
            self._s.bound.check(tenant)
            return ""
        client = self._s.client(tenant)
        with self._s.errors("authenticated user"):
            return str(client.get_user().login)
