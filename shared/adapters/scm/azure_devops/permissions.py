"""Who may push to an Azure Repos repository: a group the tenant names, or Contribute on it.

1. The person's identity (``GET _apis/identities?searchFilter=General&queryMembership=Expanded``
   on the organisation's identity service), with every group it belongs to, directly or not.
2. Member of one of the tenant's ``writer_groups`` (looked up the same way): a writer.
3. Else the repository's ACL in the Git Repositories security namespace
   (``GET _apis/accesscontrollists/2e9eb7ed-...?token=repoV2/<project id>/<repo id>
   &descriptors=<identity>&includeExtendedInfo=true``): ``effectiveAllow`` includes what groups
   and inheritance grant, so the Contribute bit (4) there means the person could push.

An identity the organisation does not know is "no access", not an error.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.scm.azure_devops.session import AdoSession
from shared.domain.access import RepositoryAccess, ScmUser
from shared.ports.scm.permissions import RepositoryPermissions

GIT_REPOSITORIES_NAMESPACE = "2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87"
GENERIC_CONTRIBUTE = 4


class AdoPermissions(RepositoryPermissions):
    def __init__(self, session: AdoSession) -> None:
        self._s = session

    def access(
        self, tenant: str, user: ScmUser, *, writer_groups: tuple[str, ...] = ()
    ) -> RepositoryAccess:
        person = self._identity(tenant, user.name, membership=True)
        if person is None or not person.descriptor:
            return RepositoryAccess(user.name, False, "none")
        member_of = {str(d).casefold() for d in person.member_of or ()}
        for group_name in writer_groups:
            group = self._identity(tenant, group_name, membership=False)
            if group is not None and str(group.descriptor).casefold() in member_of:
                return RepositoryAccess(user.name, True, f"group:{group_name}")
        allowed = self._effective_allow(tenant, str(person.descriptor))
        if allowed & GENERIC_CONTRIBUTE:
            return RepositoryAccess(user.name, True, "contribute")
        return RepositoryAccess(user.name, False, "no-contribute")

    def own_account(self, tenant: str) -> str:
        """``GET _apis/connectionData``: the account the credentials act as."""
        with self._s.errors("connection data"):
            data = self._s.location(tenant).get_connection_data()
        user = data.authenticated_user
        return "" if user is None else _account(user)

    def _identity(self, tenant: str, name: str, *, membership: bool) -> Any | None:
        with self._s.errors("identity lookup"):
            found = self._s.identities(tenant).read_identities(
                search_filter="General",
                filter_value=name,
                query_membership="Expanded" if membership else "None",
            )
        wanted = name.casefold()
        for identity in found or ():
            names = {_account(identity).casefold(), str(identity.provider_display_name).casefold()}
            if wanted in names:
                return identity
        return None

    def _effective_allow(self, tenant: str, descriptor: str) -> int:
        with self._s.errors("repository"):
            repo = self._s.git(tenant).get_repository(self._s.repository, self._s.project)
        token = f"repoV2/{repo.project.id}/{repo.id}"
        with self._s.errors("repository permissions"):
            acls = self._s.security(tenant).query_access_control_lists(
                GIT_REPOSITORIES_NAMESPACE,
                token=token,
                descriptors=descriptor,
                include_extended_info=True,
                recurse=False,
            )
        allowed = 0
        for acl in acls or ():
            for ace in (acl.aces_dictionary or {}).values():
                if str(ace.descriptor).casefold() != descriptor.casefold():
                    continue
                info = ace.extended_info
                effective = info.effective_allow if info is not None else None
                allowed |= int(effective if effective is not None else ace.allow or 0)
        return allowed


def _account(identity: Any) -> str:
    """The identity's account name (its unique name, an e-mail for Entra ID users)."""
    properties = identity.properties or {}
    account = properties.get("Account") if isinstance(properties, dict) else None
    if isinstance(account, dict):
        return str(account.get("$value") or "")
    return ""
