"""Who may push to a GitLab project: the member's access level, inherited memberships included.

``GET /projects/:id/members/all/:user_id`` gives ``access_level``; Developer (30) and above may
push (GitLab's own default for protected branches aside, which the agent never writes to). The
user id comes from the webhook when it carried one, else from ``GET /users?username=``. A 404
(not a member, or no such user) is "no access", not an error.
"""

from __future__ import annotations

from shared.adapters.scm.gitlab.session import GitlabSession
from shared.domain.access import RepositoryAccess, ScmUser
from shared.domain.errors import ScmNotFound
from shared.ports.scm.permissions import RepositoryPermissions

DEVELOPER = 30
ROLES = {0: "none", 5: "minimal", 10: "guest", 15: "planner", 20: "reporter", 30: "developer"}
ROLES |= {40: "maintainer", 50: "owner", 60: "admin"}


class GitlabPermissions(RepositoryPermissions):
    def __init__(self, session: GitlabSession) -> None:
        self._s = session

    def access(
        self, tenant: str, user: ScmUser, *, writer_groups: tuple[str, ...] = ()
    ) -> RepositoryAccess:
        project = self._s.project(tenant)
        user_id = user.id if user.id.isdigit() else self._user_id(tenant, user.name)
        if user_id is None:
            return RepositoryAccess(user.name, False, "none")
        try:
            with self._s.errors("project member"):
                member = project.members_all.get(int(user_id))
        except ScmNotFound:
            return RepositoryAccess(user.name, False, "none")
        level = int(member.attributes.get("access_level") or 0)
        role = ROLES.get(level, str(level))
        return RepositoryAccess(user.name, level >= DEVELOPER, role)

    def _user_id(self, tenant: str, username: str) -> str | None:
        client = self._s.client(tenant)
        with self._s.errors("user lookup"):
            found = client.users.list(username=username, get_all=False)
        for user in found:
            if str(user.attributes.get("username", "")).casefold() == username.casefold():
                return str(user.get_id())
        return None

    def own_account(self, tenant: str) -> str:
        """``GET /user``: the account the token acts as."""
        client = self._s.client(tenant)
        with self._s.errors("authenticated user"):
            client.auth()
        return "" if client.user is None else str(client.user.username)
