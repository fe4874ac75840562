"""The demo scenario, shared by ``make demo`` and the end-to-end tests.

A tenant with a ``local_git`` repository (a small Python project with a bug and a failing test),
GitHub-format webhooks signed with the tenant's secret, and a filed issue to comment on.
Everything goes through the platform's own ports (tenant directory, secret store, connection
directory, local_git records), so the demo exercises what production uses.

The parts also serve a tenant connected to a hosted SCM (GitHub, GitLab, Azure DevOps): its
settings (``provision_tenant``), the sample project's files (``sample_files``) to put in that
SCM's repository, and its connection with the token in the tenant's SecretStore
(``connect_scm``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.dev_oidc import object_id_for
from shared.adapters.scm.local_git import LocalCollaborators, LocalIssues, repository_path
from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.bootstrap import Container
from shared.domain.approval import IdentityLink
from shared.domain.errors import TenantNotFound
from shared.domain.scm import ScmConnection
from shared.domain.task import Provider

SAMPLE = Path(__file__).with_name("sample")
RECORDINGS = Path(__file__).with_name("recordings")
REPOSITORY = "demo/calc"
REQUESTER = "octo-dev"
APPROVER = "lead@contoso.example"
#: Who is who: SCM users of the demo linked to their Entra accounts (the development issuer's).
PEOPLE = {REQUESTER: "octo-dev@contoso.example", "octo-lead": APPROVER}
ISSUE_TITLE = "average() is wrong"
ISSUE_BODY = "average([2, 4, 6]) returns 2.0 instead of 4; tests/test_stats.py fails."
COMMAND = "/agent fix average() in calc/stats.py skips the first value"


def seed_repository(git_root: Path, repository: str, source: Path) -> Path:
    """A bare repository ``<git_root>/<repository>.git`` whose ``main`` holds ``source``."""
    bare = repository_path(git_root, repository)
    if bare.exists():
        shutil.rmtree(bare)
    bare.parent.mkdir(parents=True, exist_ok=True)
    env = {
        "GIT_AUTHOR_NAME": "Demo",
        "GIT_AUTHOR_EMAIL": "demo@example.invalid",
        "GIT_COMMITTER_NAME": "Demo",
        "GIT_COMMITTER_EMAIL": "demo@example.invalid",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    with tempfile.TemporaryDirectory() as work:
        tree = Path(work) / "tree"
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__"))
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "calc: a tiny statistics library"],
            ["push", "-q", str(bare), "main"],
        ):
            subprocess.run(["git", *args], cwd=tree, env=env, check=True)
    return bare


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    directory_id: str
    webhook_secret: str
    issue_number: int


def sample_files(source: Path = SAMPLE) -> dict[str, bytes]:
    """The sample project's files by repository path (caches left out): a ``main`` branch."""
    return {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def provision_tenant(
    container: Container, slug: str, *, llm_routes: list[dict[str, Any]], approval: str = "always"
) -> str:
    """Provision (or reuse) the tenant with the demo's settings; its Entra directory id."""
    directory_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{slug}.directory.example"))
    try:
        container.tenants.get(slug)
    except TenantNotFound:
        container.tenants.provision(slug, f"{slug} (demo)")
    container.tenants.update_settings(
        slug,
        {
            "entra_tenant_id": directory_id,
            "triggers": {"agent_accounts": ["ai-code-agent"], "allowed_approvers": ["octo-lead"]},
            "patch_policy": {"approval": approval, "approval_timeout_hours": 24},
            "llm_routes": llm_routes,
        },
    )
    for scm_user, username in PEOPLE.items():
        link = IdentityLink(str(Provider.GITHUB), scm_user, object_id_for(username), "demo")
        container.approval_store.link(slug, link)
    return directory_id


def connect_scm(
    container: Container,
    connection: ScmConnection,
    *,
    token: str | None = None,
    event_provider: str | None = None,
    event_repository: str | None = None,
) -> None:
    """Register the tenant's ``connection``, for events of ``event_provider`` naming
    ``event_repository`` (defaults: the connection's own); ``token`` is stored in the tenant's
    SecretStore under ``connection.token_secret``."""
    if token is not None:
        if not connection.token_secret:
            raise ValueError("a token needs connection.token_secret: the name to store it under")
        container.secrets.set(connection.tenant, connection.token_secret, token)
    PostgresConnectionDirectory(container.db).register(
        connection, event_provider=event_provider, event_repository=event_repository
    )


def prepare_tenant(
    container: Container,
    slug: str,
    *,
    llm_routes: list[dict[str, Any]],
    approval: str = "always",
    repository: str = REPOSITORY,
) -> DemoTenant:
    """Provision (or reuse) the tenant, its settings, webhook secret, connection, repo (where the
    requester may push: only such people's commands count), issue."""
    directory_id = provision_tenant(container, slug, llm_routes=llm_routes, approval=approval)
    secret = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    container.secrets.set(slug, "webhook-github", secret)
    seed_repository(container.scm.local_git_root(slug), repository, SAMPLE)
    connect_scm(
        container,
        ScmConnection(tenant=slug, provider=Provider.LOCAL_GIT, repository=repository),
        event_provider=str(Provider.GITHUB),
    )
    LocalCollaborators(container.db, container.tenants).grant(slug, repository, REQUESTER, "write")
    return DemoTenant(slug, directory_id, secret, file_issue(container, slug, repository))


def file_issue(container: Container, slug: str, repository: str = REPOSITORY) -> int:
    """File the demo's bug report in the tenant's local_git repository; its number."""
    return LocalIssues(container.db, container.tenants).create_issue(
        slug, repository, title=ISSUE_TITLE, body=ISSUE_BODY, author=REQUESTER
    )


def issue_comment(
    repository: str, issue: int, body: str, *, user: str = REQUESTER
) -> dict[str, Any]:
    """An ``issue_comment`` ``created`` delivery in GitHub's documented shape."""
    owner, name = repository.split("/", 1)
    html = f"https://github.example/{repository}"
    account = {"login": user, "id": 1, "type": "User"}
    return {
        "action": "created",
        "issue": {
            "number": issue,
            "title": ISSUE_TITLE,
            "body": ISSUE_BODY,
            "state": "open",
            "html_url": f"{html}/issues/{issue}",
            "user": account,
            "labels": [],
        },
        "comment": {
            "id": 1000 + issue,
            "body": body,
            "user": account,
            "html_url": f"{html}/issues/{issue}#issuecomment-{1000 + issue}",
        },
        "repository": {
            "full_name": repository,
            "name": name,
            "owner": {"login": owner},
            "html_url": html,
            "default_branch": "main",
        },
        "sender": account,
    }


def signed_headers(body: bytes, secret: str, *, event: str = "issue_comment") -> dict[str, str]:
    """The headers GitHub sends, with ``X-Hub-Signature-256`` over ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": f"sha256={digest}",
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode("utf-8")
