"""The SCMs a review runs against in the e2e tests, each seen the same way (``Reviewed``): a
tenant connected to it, a pull/merge request that adds median() to calc/stats.py with a
reviewer's comment on line 19 (``def median``), a way to push to it and to comment
``/agent review`` on it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from shared.adapters.scm.local_git import LocalIssues, repository_path
from shared.adapters.scm.local_git.git import GitRepository
from shared.domain.review import REVIEW_MARKER
from shared.domain.scm import FileChange, PullRequestDraft, ScmConnection
from shared.domain.task import Provider
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator
from tests.unit.intake.deliveries import (
    Credentials,
    github_comment,
    headers_for,
)
from tools.demo.scenario import (
    REPOSITORY,
    REQUESTER,
    connect_scm,
    encode,
    issue_comment,
    prepare_tenant,
    provision_tenant,
    sample_files,
    signed_headers,
)

ROUTES = [{"provider": "scripted", "model": "review"}]
STATS = "calc/stats.py"
#: A credential pasted into the pull request's code: redacted before any prompt (made per run).
TOKEN = "ghp_" + "".join(
    secrets.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(36)
)
MEDIAN = (
    '\n\ndef median(values):\n    """The middle value of a sequence."""\n'
    f"    ordered = sorted(values)  # CI token {TOKEN}\n    return ordered[len(ordered) // 2]\n"
)
GUARDED = MEDIAN.replace(
    "    ordered = sorted(values)",
    '    if not values:\n        raise ValueError("median of an empty sequence")\n'
    "    ordered = sorted(values)",
)
OUTSIDER = "mallory"
CREDENTIALS = Credentials(
    github=secrets.token_hex(16),
    gitlab=secrets.token_hex(16),
    azure_devops_basic=f"hook:{secrets.token_hex(16)}",
    azure_devops_header=secrets.token_hex(16),
)
HUMAN = f"Looks fine to me. {REVIEW_MARKER}"  # a human quoting the marker is still a human


@dataclass
class Reviewed:
    """One SCM with a pull request to review, seen the same way for each."""

    slug: str
    number: int
    push: Callable[[str], None]  # new content of calc/stats.py on the pull request's branch
    send: Callable[[str, str], tuple[int, dict]]  # (comment, author) -> webhook answer
    agent_comments: Callable[[], dict[tuple[str, int], str]]
    human_comments: Callable[[], list[str]]
    summaries: Callable[[], list[str]]
    #: The commits the agent's inline comments are anchored in (their lines are that code's).
    anchors: Callable[[], set[str]]


def stats_text() -> str:
    return sample_files()[STATS].decode()


@contextmanager
def local_git(app, http) -> Iterator[Reviewed]:
    tenant = prepare_tenant(app, f"rv-{secrets.token_hex(3)}", llm_routes=ROUTES)
    git = GitRepository(repository_path(app.scm.local_git_root(tenant.slug), REPOSITORY))
    author = (REQUESTER, "octo-dev@contoso.example")
    main = git.resolve("refs/heads/main")

    def push(text: str) -> None:
        head = git.branch_sha("feature/median")
        commit = git.commit_change(head or main, (FileChange(STATS, text),), "median", author)
        if head is None:
            git.create_branch("feature/median", commit)
        else:
            git.run("update-ref", "refs/heads/feature/median", commit, head)

    push(stats_text() + MEDIAN)
    issues = LocalIssues(app.db, app.tenants)
    pull = issues.open_pull_request(
        tenant.slug,
        REPOSITORY,
        PullRequestDraft("feature/median", "main", "Add median()", "Adds median."),
        head_sha=str(git.branch_sha("feature/median")),
        author=REQUESTER,
    )

    def rows(sql: str) -> list[dict]:
        with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
            return tx.conn.execute(sql).fetchall()

    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        tx.conn.execute(
            "INSERT INTO scm_review_comments (repository, pull_number, path, line, commit_sha,"
            " author, body) VALUES (%s, %s, %s, 19, %s, %s, %s)",
            (REPOSITORY, pull.number, STATS, main, "octo-lead", HUMAN),
        )

    def send(body: str, user: str) -> tuple[int, dict]:
        payload = issue_comment(REPOSITORY, pull.number, body, user=user)
        payload["issue"]["pull_request"] = {"url": f"https://github.example/pulls/{pull.number}"}
        raw = encode(payload)
        return http.request(
            "POST",
            f"/api/webhooks/github/{tenant.slug}",
            raw,
            signed_headers(raw, tenant.webhook_secret),
        )

    yield Reviewed(
        tenant.slug,
        pull.number,
        push,
        send,
        lambda: {
            (r["path"], r["line"]): r["body"]
            for r in rows("SELECT * FROM scm_review_comments WHERE author = 'ai-code-agent'")
        },
        lambda: [
            r["body"] for r in rows("SELECT * FROM scm_review_comments WHERE author = 'octo-lead'")
        ],
        lambda: [
            r["body"]
            for r in rows(
                "SELECT body FROM scm_comments WHERE target_kind = 'pull_request'"
                " AND author = 'ai-code-agent'"
            )
        ],
        lambda: {
            r["commit_sha"]
            for r in rows("SELECT * FROM scm_review_comments WHERE author = 'ai-code-agent'")
        },
    )


@contextmanager
def github(app, http) -> Iterator[Reviewed]:
    token = secrets.token_urlsafe(24)
    owner, name = REPOSITORY.split("/")
    emulator = GithubEmulator(owner, name, Forge(sample_files()), token)
    emulator.collaborators[REQUESTER] = "write"
    emulator.users.add(OUTSIDER)
    push = forge_push(emulator.forge, "feature/median")
    push(stats_text() + MEDIAN)
    number = emulator.add_pull("feature/median", "main", "Add median()", "Adds median.", REQUESTER)
    emulator.add_review_comment(number, "octo-lead", STATS, 19, HUMAN)
    slug = connect(app, Provider.GITHUB, REPOSITORY, emulator.api_url, token).tenant

    def send(body: str, user: str) -> tuple[int, dict]:
        item = github_comment(body, issue=number, user=user)
        payload = item.payload()
        payload["repository"]["full_name"] = REPOSITORY
        payload["issue"]["pull_request"] = {"url": emulator.pulls[0]["url"]}
        item = item.with_payload(payload)
        return http.request(
            "POST", f"/api/webhooks/github/{slug}", item.body, headers_for(item, CREDENTIALS)
        )

    def comments(mine: bool) -> list[dict]:
        return [
            c
            for c in emulator.review_comments.get(number, [])
            if (c["user"]["login"] == emulator.login) == mine
        ]

    with emulator.server.running():
        yield Reviewed(
            slug,
            number,
            push,
            send,
            lambda: {(c["path"], c["line"]): c["body"] for c in comments(True)},
            lambda: [c["body"] for c in comments(False)],
            lambda: [c["body"] for c in emulator.comments[number]],
            lambda: {c["commit_id"] for c in comments(True)},
        )


def connect(
    app, provider: Provider, repository: str, base_url: str, token: str, **kw
) -> ScmConnection:
    """A new tenant connected to an emulator; its connection (the slug is its tenant)."""
    slug = f"rv-{secrets.token_hex(3)}"
    provision_tenant(app, slug, llm_routes=ROUTES)
    for name, value in CREDENTIALS.store_entries().items():
        app.secrets.set(slug, name, value)
    connection = ScmConnection(slug, provider, repository, base_url, "scm-token")
    connect_scm(app, connection, token=token, **kw)
    return connection


def forge_push(forge: Forge, branch: str) -> Callable[[str], None]:
    def push(text: str) -> None:
        base = forge.branches.get(branch, forge.branches["main"])
        forge.branches[branch] = forge.commit_changes(base, {STATS: text.encode()}, "median")

    return push
