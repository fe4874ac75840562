"""Identities, security ACLs and connection data of the Azure DevOps emulator: what
``AdoPermissions`` asks, bodies shaped like learn.microsoft.com's examples (Identities - Read
Identities, Access Control Lists - Query, Connection Data)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.integration.scm.http_stub import Reply, Request

GIT_NAMESPACE = "2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87"
REPO_ID = "5febef5a-833d-4e14-b9c0-14cb638f91e6"  # the emulator's repository and project ids
PROJECT_ID = "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c"
#: (location id, area, resource, route template, resource version) of these resources.
SECURITY_LOCATIONS = [
    (
        "28010c54-d0c0-4c89-a5b0-1c9e188b9fb7",
        "IMS",
        "Identities",
        "_apis/{resource}/{identityId}",
        1,
    ),
    (
        "18a2ad18-7571-46ae-bec7-0c7da1495885",
        "Security",
        "AccessControlLists",
        "_apis/{resource}/{securityNamespaceId}",
        1,
    ),
    ("00d9565f-ed9c-4a06-9a50-00e7896ccab4", "Location", "ConnectionData", "_apis/{resource}", 1),
]


def _sid(name: str) -> str:
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    return f"S-1-9-1551374245-{digest}-2402986413-2179408616-0-0-0-0-1"


def _identity(account: str, display: str, *, group: bool) -> dict[str, Any]:
    if group:
        descriptor = f"Microsoft.TeamFoundation.Identity;{_sid(account)}"
    else:
        descriptor = f"Microsoft.IdentityModel.Claims.ClaimsIdentity;72f988bf\\{account}"
    return {
        "id": hashlib.md5(account.encode(), usedforsecurity=False).hexdigest(),
        "descriptor": descriptor,
        "subjectDescriptor": ("vssgp." if group else "aad.") + account.encode().hex()[:24],
        "providerDisplayName": display,
        "isActive": True,
        "isContainer": group,
        "members": [],
        "memberOf": [],
        "memberIds": [],
        "properties": {
            "SchemaClassName": {"$type": "System.String", "$value": "Group" if group else "User"},
            "Account": {"$type": "System.String", "$value": account},
        },
        "resourceVersion": 2,
        "metaTypeId": 0 if not group else 255,
    }


class AdoSecurityApi:
    """Mixin: people and groups of the organisation, and who may contribute to the repository."""

    def init_security(self, login: str) -> None:
        self.identities_by_account: dict[str, dict[str, Any]] = {}
        self.member_of: dict[str, list[str]] = {}
        self.contribute: set[str] = set()  # descriptors allowed Contribute on the repository
        self.login = login
        self.add_person(login, contribute=True)

    def add_group(self, name: str) -> dict[str, Any]:
        group = _identity(name, name, group=True)
        self.identities_by_account[name.casefold()] = group
        return group

    def add_person(
        self, account: str, *, groups: tuple[str, ...] = (), contribute: bool = False
    ) -> dict[str, Any]:
        """A user; ``contribute``: the repository's ACL allows them Contribute (directly or
        through a group the ACL names, which ``effectiveAllow`` folds in)."""
        person = _identity(account, account.split("@", maxsplit=1)[0].title(), group=False)
        self.identities_by_account[account.casefold()] = person
        self.member_of[person["descriptor"]] = [
            self.identities_by_account[g.casefold()]["descriptor"] for g in groups
        ]
        if contribute:
            self.contribute.add(person["descriptor"])
        return person

    def read_identities(self, request: Request) -> Reply:
        wanted = (request.arg("filterValue") or "").casefold()
        expanded = (request.arg("queryMembership") or "None") in ("Direct", "Expanded")
        value = []
        for identity in self.identities_by_account.values():
            names = {
                identity["properties"]["Account"]["$value"].casefold(),
                identity["providerDisplayName"].casefold(),
            }
            if wanted in names:
                member_of = self.member_of.get(identity["descriptor"], []) if expanded else []
                value.append({**identity, "memberOf": member_of})
        return Reply(200, {"count": len(value), "value": value})

    def access_control_lists(self, request: Request, namespace: str) -> Reply:
        token = request.arg("token") or ""
        if namespace != GIT_NAMESPACE or token != f"repoV2/{PROJECT_ID}/{REPO_ID}":
            return Reply(200, {"count": 0, "value": []})
        wanted = [d for d in (request.arg("descriptors") or "").split(",") if d]
        aces = {}
        for descriptor in wanted:
            allowed = 16502 if descriptor in self.contribute else 2  # Read only: 2
            aces[descriptor] = {
                "descriptor": descriptor,
                "allow": 0,
                "deny": 0,
                "extendedInfo": {
                    "effectiveAllow": allowed,
                    "effectiveDeny": 0,
                    "inheritedAllow": allowed,
                },
            }
        acl = {"inheritPermissions": True, "token": token, "acesDictionary": aces}
        return Reply(200, {"count": 1, "value": [acl]})

    def connection_data(self, request: Request) -> Reply:
        me = self.identities_by_account[self.login.casefold()]
        user = {k: me[k] for k in ("id", "descriptor", "subjectDescriptor", "providerDisplayName")}
        user |= {"isActive": True, "properties": {"Account": me["properties"]["Account"]}}
        return Reply(
            200,
            {
                "authenticatedUser": user,
                "authorizedUser": user,
                "instanceId": "a6f4a69d-46a2-4d33-a3b4-0f5dc1b7f14b",
                "deploymentId": "7a8d4c5e-7f0b-4a1f-9d2c-36e1c8e8a7b1",
                "deploymentType": "hosted",
                "locationServiceData": {"serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7"},
            },
        )
