"""``RepositoryPermissions`` of each adapter, with its real SDK against the local REST servers
(GitHub, GitLab, Azure DevOps) and on the tenant's records (local_git): writers may push,
readers and strangers may not (a 404 is an answer, not an error), failures are domain errors,
and each connection knows its own account."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from shared.adapters.scm import scm_for
from shared.adapters.scm.local_git import LocalCollaborators
from shared.adapters.secrets.local import LocalSecretStore
from shared.domain.access import ScmUser
from shared.domain.errors import InvalidInput, PermissionDenied, ScmAuthError, ScmUnavailable
from shared.domain.scm import ScmConnection
from shared.domain.task import Provider
from shared.ports.scm import Scm
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator
from tests.integration.scm.gitlab_server import GitlabEmulator

TENANT = "acme"
FILES = {"README.md": b"# demo\n"}


@pytest.fixture
def github(secret_store) -> Iterator[tuple[GithubEmulator, Scm]]:
    token = secrets.token_hex(16)
    emulator = GithubEmulator("octo", "demo", Forge(FILES), token)
    emulator.collaborators |= {"ada": "admin", "max": "maintain", "wes": "write", "tri": "triage"}
    emulator.users |= {"rea"}
    secret_store.set(TENANT, "token", token)
    with emulator.server.running():
        connection = ScmConnection(TENANT, Provider.GITHUB, "octo/demo", emulator.api_url, "token")
        yield emulator, scm_for(connection, secret_store, timeout_s=5)


def test_github_writers_are_write_maintain_and_admin(github) -> None:
    emulator, scm = github
    answers = {
        login: scm.permissions.access(TENANT, ScmUser(login))
        for login in ("ada", "max", "wes", "tri", "rea", "nobody")
    }
    assert {k: (a.can_write, a.role) for k, a in answers.items()} == {
        "ada": (True, "admin"),
        "max": (True, "write"),  # maintain reads as write in the legacy permission
        "wes": (True, "write"),
        "tri": (False, "read"),
        "rea": (False, "read"),
        "nobody": (False, "none"),  # 404: not a user the connection can see
    }
    [call] = emulator.server.calls("GET", r"/collaborators/wes/permission$")
    assert call.headers["authorization"] == f"token {next(iter(emulator.tokens))}"
    assert scm.permissions.own_account(TENANT) == "agent-bot"


def test_github_failures_are_domain_errors(github) -> None:
    emulator, scm = github
    emulator.server.fail("GET", "/permission$", 502, {"message": "Server Error"})
    with pytest.raises(ScmUnavailable):
        scm.permissions.access(TENANT, ScmUser("wes"))
    emulator.server.fail("GET", "/permission$", 401, {"message": "Bad credentials"})
    with pytest.raises(ScmAuthError):
        scm.permissions.access(TENANT, ScmUser("wes"))
    with pytest.raises(PermissionDenied):
        scm.permissions.access("other-tenant", ScmUser("wes"))


@pytest.fixture
def gitlab(secret_store) -> Iterator[tuple[GitlabEmulator, Scm]]:
    token = secrets.token_hex(16)
    emulator = GitlabEmulator("group/demo", Forge(FILES), token)
    secret_store.set(TENANT, "token", token)
    with emulator.server.running():
        connection = ScmConnection(TENANT, Provider.GITLAB, "group/demo", emulator.url, "token")
        yield emulator, scm_for(connection, secret_store, timeout_s=5)


def test_gitlab_writers_are_developers_and_above(gitlab) -> None:
    emulator, scm = gitlab
    levels = {"owner": 50, "maint": 40, "dev": 30, "reporter": 20, "guest": 10, "outsider": None}
    ids = {name: emulator.add_user(name, level) for name, level in levels.items()}
    answers = {n: scm.permissions.access(TENANT, ScmUser(n)) for n in [*levels, "ghost"]}
    assert {n: (a.can_write, a.role) for n, a in answers.items()} == {
        "owner": (True, "owner"),
        "maint": (True, "maintainer"),
        "dev": (True, "developer"),
        "reporter": (False, "reporter"),
        "guest": (False, "guest"),
        "outsider": (False, "none"),  # 404 from members/all
        "ghost": (False, "none"),  # no such user
    }
    # With the id from the webhook, no user lookup is needed.
    emulator.server.clear()
    assert scm.permissions.access(TENANT, ScmUser("dev", str(ids["dev"]))).can_write
    assert [r.raw_path for r in emulator.server.requests] == [
        f"/api/v4/projects/group%2Fdemo/members/all/{ids['dev']}"
    ]
    assert scm.permissions.own_account(TENANT) == "agent-bot"


def test_gitlab_failures_are_domain_errors(gitlab) -> None:
    emulator, scm = gitlab
    uid = emulator.add_user("dev", 30)
    emulator.server.fail("GET", "/members/all/", 503, {"message": "503 Service Unavailable"})
    with pytest.raises(ScmUnavailable):
        scm.permissions.access(TENANT, ScmUser("dev", str(uid)))


@pytest.fixture
def ado(secret_store) -> Iterator[tuple[AdoEmulator, Scm]]:
    pat = secrets.token_urlsafe(24)
    emulator = AdoEmulator("contoso", "Fabrikam", "demo", Forge(FILES), pat)
    secret_store.set(TENANT, "pat", pat)
    with emulator.server.running():
        connection = ScmConnection(
            TENANT, Provider.AZURE_DEVOPS, "Fabrikam/demo", emulator.org_url, "pat"
        )
        yield emulator, scm_for(connection, secret_store, timeout_s=5)


def test_azure_devops_writers_are_named_groups_or_contributors(ado) -> None:
    emulator, scm = ado
    emulator.add_group("[Fabrikam]\\Agent Requesters")
    emulator.add_group("[Fabrikam]\\Readers")
    emulator.add_person("gina@contoso.com", groups=("[Fabrikam]\\Agent Requesters",))
    emulator.add_person("carl@contoso.com", contribute=True)
    emulator.add_person("rita@contoso.com", groups=("[Fabrikam]\\Readers",))
    groups = ("[Fabrikam]\\Agent Requesters",)

    answers = {
        name: scm.permissions.access(TENANT, ScmUser(name), writer_groups=groups)
        for name in ("gina@contoso.com", "carl@contoso.com", "rita@contoso.com", "x@contoso.com")
    }
    assert {n.split("@")[0]: (a.can_write, a.role) for n, a in answers.items()} == {
        "gina": (True, "group:[Fabrikam]\\Agent Requesters"),
        "carl": (True, "contribute"),
        "rita": (False, "no-contribute"),
        "x": (False, "none"),  # unknown to the organisation
    }
    # The named group answered for gina; carl and rita needed the repository's ACL.
    acl, _ = emulator.server.calls("GET", "(?i)/accesscontrollists/")
    assert acl.arg("token") == (
        "repoV2/6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c/5febef5a-833d-4e14-b9c0-14cb638f91e6"
    )
    assert acl.path.endswith("/2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87")
    assert acl.arg("includeExtendedInfo") == "true"
    assert scm.permissions.own_account(TENANT) == "agent@contoso.com"


def test_azure_devops_failures_are_domain_errors(ado) -> None:
    emulator, scm = ado
    emulator.add_person("carl@contoso.com", contribute=True)
    emulator.server.fail("GET", "(?i)/accesscontrollists/", 500, {"message": "boom"})
    with pytest.raises(ScmUnavailable):
        scm.permissions.access(TENANT, ScmUser("carl@contoso.com"))


def test_local_git_writers_come_from_its_collaborator_records(
    tmp_path, db, tenant_directory, new_tenant
) -> None:
    tenant = new_tenant("perm").slug
    scm = scm_for(
        ScmConnection(tenant, Provider.LOCAL_GIT, "team/demo"),
        LocalSecretStore(tmp_path / "secrets"),
        db=db,
        tenants=tenant_directory,
        local_git_root=tmp_path / "repos",
    )
    people = LocalCollaborators(db, tenant_directory)
    people.grant(tenant, "team/demo", "Wes", "write")
    people.grant(tenant, "team/demo", "ada", "admin")
    people.grant(tenant, "team/demo", "rea", "read")
    people.grant(tenant, "team/other", "oth", "admin")

    answers = {n: scm.permissions.access(tenant, ScmUser(n)) for n in ("wes", "ada", "rea", "oth")}
    assert {n: (a.can_write, a.role) for n, a in answers.items()} == {
        "wes": (True, "write"),
        "ada": (True, "admin"),
        "rea": (False, "read"),
        "oth": (False, "none"),  # a writer elsewhere is not one here
    }
    people.revoke(tenant, "team/demo", "wes")
    assert not scm.permissions.access(tenant, ScmUser("wes")).can_write
    assert scm.permissions.own_account(tenant) == "ai-code-agent"
    with pytest.raises(InvalidInput):
        people.grant(tenant, "team/demo", "x", "owner")
