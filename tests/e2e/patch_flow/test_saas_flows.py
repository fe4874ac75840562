"""The main job on devhost against the hosted SCMs: GitHub, GitLab and Azure DevOps, each served
by its local REST emulator (``tests/integration/scm``) and reached by the real SDK adapters.

For each: that SCM's real webhook shape for a ``/agent fix`` comment → approval through the API →
branch, pull request and comment in the emulator's repository → a verified audit chain and a
complete lineage. A second delivery of the same webhook is a duplicate and opens nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from shared.adapters.store.postgres.tasks import get_task
from shared.domain.scm import ScmConnection, comment_marker
from shared.domain.task import Provider
from tests.e2e.patch_flow.conftest import AUDIENCE
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator
from tests.integration.scm.gitlab_server import GitlabEmulator
from tests.integration.scm.http_stub import StubServer
from tests.support.devhost_task import approve
from tests.unit.intake.deliveries import (
    Credentials,
    Fixture,
    fixture,
    github_comment,
    headers_for,
    with_delivery_id,
)
from tools.demo.scenario import (
    COMMAND,
    ISSUE_BODY,
    ISSUE_TITLE,
    REPOSITORY,
    REQUESTER,
    connect_scm,
    provision_tenant,
    sample_files,
)

SCRIPTED = [{"provider": "scripted", "model": "demo"}]
STATS = "calc/stats.py"
BUG, FIX = b"    for value in values[1:]:\n", b"    for value in values:\n"
TOKEN_SECRET = "scm-token"  # the SecretStore name of the SCM token
ADO_PROJECT = "Fabrikam"
OUTSIDER = "mallory"  # may read the repository, not push to it


@dataclass(frozen=True)
class Opened:
    """A pull (merge) request as the emulator holds it."""

    number: int
    source: str
    target: str
    body: str
    url: str


@dataclass(frozen=True)
class Hosted:
    """One SCM's emulator, seen the same way for all three."""

    provider: Provider
    repository: str  # what the agent changes (``project/repository`` on Azure DevOps)
    event_repository: str  # what the webhook names (a work item names only its project)
    base_url: str
    forge: Forge
    server: StubServer
    pull_requests: Callable[[], list[Opened]]
    comments: Callable[[], list[str]]  # bodies of the comments on the issue or work item
    delivery: Callable[[str, str], Fixture]  # the real payload shape: (comment, its author)
    writer: str  # the requester, who may push (as webhooks name people on this SCM)
    outsider: str  # a known user who may not push
    bot: str  # the account the connection's token acts as


@contextmanager
def _github(token: str) -> Iterator[Hosted]:
    owner, name = REPOSITORY.split("/")
    emulator = GithubEmulator(owner, name, Forge(sample_files()), token)
    number = emulator.add_issue(ISSUE_TITLE, ISSUE_BODY, REQUESTER, [])
    emulator.collaborators[REQUESTER] = "write"
    emulator.users.add(OUTSIDER)

    def delivery(command: str, user: str) -> Fixture:
        item = github_comment(command, issue=number, user=user)
        payload = item.payload()
        payload["repository"]["full_name"] = REPOSITORY
        return item.with_payload(payload)

    def pulls() -> list[Opened]:
        return [
            Opened(p["number"], p["head"]["ref"], p["base"]["ref"], p["body"], p["html_url"])
            for p in emulator.pulls
        ]

    with emulator.server.running():
        yield Hosted(
            Provider.GITHUB,
            REPOSITORY,
            REPOSITORY,
            emulator.api_url,
            emulator.forge,
            emulator.server,
            pulls,
            lambda: [c["body"] for c in emulator.comments[number]],
            delivery,
            REQUESTER,
            OUTSIDER,
            emulator.login,
        )


@contextmanager
def _gitlab(token: str) -> Iterator[Hosted]:
    emulator = GitlabEmulator(REPOSITORY, Forge(sample_files()), token)
    iid = emulator.add_issue(ISSUE_TITLE, ISSUE_BODY, REQUESTER, [])
    emulator.add_user(REQUESTER, 30)  # Developer
    emulator.add_user(OUTSIDER, 20)  # Reporter
    emulator.add_user(emulator.login, 40)

    def delivery(command: str, user: str) -> Fixture:
        item = fixture("gitlab/note_hook/go-gitlab.note_issue.json")
        payload = item.payload()
        payload["user"] |= {"username": user, "id": emulator.users[user][0]}
        payload["project"] |= {"id": 3, "path_with_namespace": REPOSITORY}
        payload["object_attributes"] |= {"note": command, "project_id": 3}
        payload["issue"] |= {"iid": iid, "title": ISSUE_TITLE, "description": ISSUE_BODY}
        return item.with_payload(payload)

    def merge_requests() -> list[Opened]:
        return [
            Opened(m["iid"], m["source_branch"], m["target_branch"], m["description"], m["web_url"])
            for m in emulator.merge_requests
        ]

    with emulator.server.running():
        yield Hosted(
            Provider.GITLAB,
            REPOSITORY,
            REPOSITORY,
            emulator.url,
            emulator.forge,
            emulator.server,
            merge_requests,
            lambda: [n["body"] for n in emulator.notes[("issues", iid)]],
            delivery,
            REQUESTER,
            OUTSIDER,
            emulator.login,
        )


@contextmanager
def _azure_devops(token: str) -> Iterator[Hosted]:
    emulator = AdoEmulator("contoso", ADO_PROJECT, "calc", Forge(sample_files()), token)
    wid = emulator.add_work_item(ISSUE_TITLE, f"<div>{ISSUE_BODY}</div>", REQUESTER, "")
    writer, outsider = f"{REQUESTER}@contoso.example", f"{OUTSIDER}@contoso.example"
    emulator.add_person(writer, contribute=True)
    emulator.add_person(outsider)

    def delivery(command: str, user: str) -> Fixture:
        item = fixture("azure-devops/workitem.commented.json")
        payload = item.payload()
        payload["resource"]["id"] = wid
        payload["resource"]["fields"] |= {
            "System.TeamProject": ADO_PROJECT,
            "System.Title": ISSUE_TITLE,
            "System.History": f"<div>{command}</div>",
            "System.ChangedBy": f"Someone <{user}>",
        }
        return with_delivery_id(item.with_payload(payload), secrets.token_hex(16))

    def pulls() -> list[Opened]:
        web = f"{emulator.org_url}/{ADO_PROJECT}/_git/calc/pullrequest"
        return [
            Opened(
                p["pullRequestId"],
                p["sourceRefName"].removeprefix("refs/heads/"),
                p["targetRefName"].removeprefix("refs/heads/"),
                p["description"],
                f"{web}/{p['pullRequestId']}",
            )
            for p in emulator.pulls
        ]

    with emulator.server.running():
        yield Hosted(
            Provider.AZURE_DEVOPS,
            f"{ADO_PROJECT}/calc",
            ADO_PROJECT,
            emulator.org_url,
            emulator.forge,
            emulator.server,
            pulls,
            lambda: [c["text"] for c in emulator.wi_comments[wid]],
            delivery,
            writer,
            outsider,
            emulator.login,
        )


EMULATORS = {"github": _github, "gitlab": _gitlab, "azure-devops": _azure_devops}


@pytest.fixture(params=sorted(EMULATORS))
def hosted(request) -> Iterator[tuple[Hosted, str]]:
    """The emulator and the SCM token it accepts (made per test)."""
    token = secrets.token_urlsafe(24)
    with EMULATORS[request.param](token) as running:
        yield running, token


def _changed_paths(forge: Forge, base: str, branch: str) -> set[str]:
    before, after = forge.tree_of(base) or {}, forge.tree_of(branch) or {}
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


@dataclass(frozen=True)
class Connected:
    """A tenant connected to the emulator, and how to send it a comment."""

    slug: str
    directory_id: str
    webhook: str
    credentials: Credentials


def connect_tenant(app, scm: Hosted, token: str) -> Connected:
    slug = f"saas-{secrets.token_hex(3)}"
    directory_id = provision_tenant(app, slug, llm_routes=SCRIPTED)
    credentials = Credentials(
        github=secrets.token_hex(16),
        gitlab=secrets.token_hex(16),
        azure_devops_basic=f"hook:{secrets.token_hex(16)}",
        azure_devops_header=secrets.token_hex(16),
    )
    for name, value in credentials.store_entries().items():
        app.secrets.set(slug, name, value)
    connect_scm(
        app,
        ScmConnection(slug, scm.provider, scm.repository, scm.base_url, TOKEN_SECRET),
        token=token,
        event_repository=scm.event_repository,
    )
    return Connected(slug, directory_id, f"/api/webhooks/{scm.provider.value}/{slug}", credentials)


def test_comment_webhook_becomes_one_approved_pull_request_on_the_hosted_scm(
    app, http, issuer, hosted
) -> None:
    scm, token = hosted
    tenant = connect_tenant(app, scm, token)
    slug, directory_id, webhook = tenant.slug, tenant.directory_id, tenant.webhook
    item = scm.delivery(COMMAND, scm.writer)
    headers = headers_for(item, tenant.credentials)

    code, accepted = http.request("POST", webhook, item.body, headers)
    assert code == 202, accepted
    task_id = accepted["id"]
    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval")
    approve(http.base_url, slug, directory_id, task_id, issuer, AUDIENCE)
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")

    output = done["output"]
    branch = f"agent/{task_id}"
    assert (output["outcome"], output["pr"]["branch"]) == ("completed", branch)
    # The branch holds exactly the one-line fix.
    fixed = sample_files()[STATS].replace(BUG, FIX)
    assert scm.forge.read(branch, STATS) == fixed != sample_files()[STATS]
    assert _changed_paths(scm.forge, "main", branch) == {STATS}
    # One pull request from that branch into main, linking the task.
    [pull] = scm.pull_requests()
    assert (pull.source, pull.target, pull.number) == (branch, "main", output["pr"]["number"])
    assert pull.url == output["pr"]["url"]
    assert f"/api/tenants/{slug}/tasks/{task_id}" in pull.body
    # One comment of the agent's on the issue (the approval request, updated), naming the PR.
    [comment] = [c for c in scm.comments() if comment_marker(task_id) in c]
    assert "Opened" in comment and pull.url in comment

    chain = app.audit.verify_chain(slug)
    assert chain.ok and chain.checked >= 9
    with app.db.tenant_transaction(app.tenants.locate(slug)) as tx:
        record = get_task(tx, task_id)
    assert str(record.status) == "completed" and record.pr_url == pull.url
    lineage = record.lineage
    assert lineage["trigger"]["provider"] == scm.provider.value
    assert lineage["trigger"]["delivery_id"]
    assert lineage["context_files"][0]["path"] == STATS
    assert all(len(f["sha256"]) == 64 for f in lineage["context_files"])
    last = lineage["attempts"][-1]
    assert last["ok"] is True and last["check"]["passed"] is True
    assert last["llm"]["scripted"] is True
    assert lineage["risk"]["level"]
    assert lineage["approval"]["approver"] == "lead@contoso.example"
    assert lineage["pull_request"]["branch"] == branch

    # The same delivery again (an SCM retry): a duplicate that opens nothing.
    code, again = http.request("POST", webhook, item.body, headers)
    assert (code, again) == (200, {"status": "duplicate", "task_id": task_id})
    assert http.status(task_id)["output"] == output
    assert len(scm.pull_requests()) == 1
    assert len([c for c in scm.comments() if comment_marker(task_id) in c]) == 1
