"""``/agent review`` end to end on devhost: a signed pull request comment becomes one review with
inline comments at the expected lines, on local_git and on the GitHub REST emulator (through the
real PyGithub adapter). The author then pushes a fix and asks again: the changed comment is
updated, the stale one removed, a new one added, nothing duplicated, a human's comment left
alone. A commenter who cannot push is refused before anything is read; audit and lineage hold.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from shared.adapters.scm.local_git import LocalIssues, repository_path
from shared.adapters.scm.local_git.git import GitRepository
from shared.adapters.store.postgres.tasks import get_task
from shared.domain.review import REVIEW_MARKER, SUMMARY_MARKER
from shared.domain.scm import FileChange, PullRequestDraft, ScmConnection
from shared.domain.task import Provider
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator
from tests.unit.intake.deliveries import Credentials, github_comment, headers_for
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
MEDIAN = (
    '\n\ndef median(values):\n    """The middle value of a sequence."""\n'
    "    ordered = sorted(values)\n    return ordered[len(ordered) // 2]\n"
)
GUARDED = MEDIAN.replace(
    "    ordered = sorted(values)\n",
    '    if not values:\n        raise ValueError("median of an empty sequence")\n'
    "    ordered = sorted(values)\n",
)
OUTSIDER = "mallory"
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


def _stats() -> str:
    return sample_files()[STATS].decode()


@contextmanager
def _local_git(app, http) -> Iterator[Reviewed]:
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

    push(_stats() + MEDIAN)
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
            " author, body) VALUES (%s, %s, %s, 17, %s, %s, %s)",
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
    )


@contextmanager
def _github(app, http) -> Iterator[Reviewed]:
    token = secrets.token_urlsafe(24)
    owner, name = REPOSITORY.split("/")
    emulator = GithubEmulator(owner, name, Forge(sample_files()), token)
    forge = emulator.forge
    emulator.collaborators[REQUESTER] = "write"
    emulator.users.add(OUTSIDER)

    def push(text: str) -> None:
        base = forge.branches.get("feature/median", forge.branches["main"])
        forge.branches["feature/median"] = forge.commit_changes(
            base, {STATS: text.encode()}, "median"
        )

    push(_stats() + MEDIAN)
    number = emulator.add_pull("feature/median", "main", "Add median()", "Adds median.", REQUESTER)
    emulator.add_review_comment(number, "octo-lead", STATS, 17, HUMAN)
    slug = f"rv-{secrets.token_hex(3)}"
    provision_tenant(app, slug, llm_routes=ROUTES)
    credentials = Credentials(github=secrets.token_hex(16))
    app.secrets.set(slug, "webhook-github", credentials.github)
    connect_scm(
        app,
        ScmConnection(slug, Provider.GITHUB, REPOSITORY, emulator.api_url, "scm-token"),
        token=token,
    )

    def send(body: str, user: str) -> tuple[int, dict]:
        item = github_comment(body, issue=number, user=user)
        payload = item.payload()
        payload["repository"]["full_name"] = REPOSITORY
        payload["issue"]["pull_request"] = {"url": emulator.pulls[0]["url"]}
        item = item.with_payload(payload)
        return http.request(
            "POST", f"/api/webhooks/github/{slug}", item.body, headers_for(item, credentials)
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
        )


SCMS = {"local_git": _local_git, "github": _github}


@pytest.fixture(params=sorted(SCMS))
def reviewed(request, app, http) -> Iterator[Reviewed]:
    with SCMS[request.param](app, http) as scm:
        yield scm


def _run(http, scm: Reviewed) -> dict:
    code, accepted = scm.send("/agent review", REQUESTER)
    assert code == 202, accepted
    done = http.wait(accepted["id"], lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed", done["output"]
    return done["output"]


def test_review_comments_land_on_their_lines_and_a_rerun_updates_them(app, http, reviewed):
    scm = reviewed
    first = _run(http, scm)
    assert scm.agent_comments() == {
        (STATS, 17): "**medium**: median([]) raises IndexError; raise ValueError as average() "
        f"does.\n\n{REVIEW_MARKER}",
        (STATS, 20): "**medium**: For an even count this is the upper middle value, not the "
        f"mean of the two.\n\n{REVIEW_MARKER}",
    }
    [summary] = scm.summaries()
    assert summary.startswith("Adds median(); two problems.") and summary.endswith(SUMMARY_MARKER)
    assert "`calc/stats.py` line 9: **high**: average() skips the first value." in summary
    assert {k: first["review"][k] for k in ("created", "updated", "removed")} == {
        "created": 2,
        "updated": 0,
        "removed": 0,
    }

    scm.push(_stats() + GUARDED)
    second = _run(http, scm)
    assert {k: second["review"][k] for k in ("created", "updated", "removed")} == {
        "created": 1,
        "updated": 1,
        "removed": 1,
    }
    assert scm.agent_comments() == {
        (STATS, 17): "**low**: Say in the docstring which middle value an even count gives."
        f"\n\n{REVIEW_MARKER}",
        (STATS, 22): "**medium**: For an even count this is the upper middle value, not the "
        f"mean of the two.\n\n{REVIEW_MARKER}",
    }
    [summary] = scm.summaries()
    assert summary.startswith("median() now rejects empty input")
    assert scm.human_comments() == [HUMAN]

    chain = app.audit.verify_chain(scm.slug)
    assert chain.ok
    with app.db.tenant_transaction(app.tenants.locate(scm.slug)) as tx:
        record = get_task(tx, second["task"])
        kinds = [
            r["kind"]
            for r in tx.conn.execute(
                "SELECT kind FROM audit_events WHERE task_id = %s ORDER BY seq", (second["task"],)
            ).fetchall()
        ]
    assert str(record.status) == "completed"
    for kind in ("trigger.authorised", "task.started", "review.gathered", "review.generated"):
        assert kind in kinds
    assert kinds[-2:] == ["review.published", "task.completed"]
    lineage = record.lineage
    assert lineage["trigger"]["source_kind"] == "pull_request"
    assert lineage["code_review"]["diff_files"] == [STATS]
    assert lineage["context_files"][0]["path"] == STATS
    published = lineage["code_review_published"]
    assert published["inline"] == [{"path": STATS, "line": 17}, {"path": STATS, "line": 22}]
    assert published["moved_to_summary"] == [
        {"path": STATS, "line": 9, "reason": "line-not-in-diff"}
    ]
    assert lineage["review_llm"]["scripted"] is True


def test_a_commenter_who_cannot_push_is_refused_before_anything_is_read(app, http, reviewed):
    scm = reviewed
    code, accepted = scm.send("/agent review", OUTSIDER)
    assert code == 202, accepted
    done = http.wait(accepted["id"], lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "not-authorised"
    assert done["output"]["refusal"]["reason"] == "no-write-access"
    assert scm.agent_comments() == {}
    assert [s for s in scm.summaries() if SUMMARY_MARKER in s] == []
    with app.db.tenant_transaction(app.tenants.locate(scm.slug)) as tx:
        kinds = [
            r["kind"]
            for r in tx.conn.execute(
                "SELECT kind FROM audit_events WHERE task_id = %s ORDER BY seq",
                (accepted["id"],),
            ).fetchall()
        ]
    assert "command.refused" in kinds and "review.gathered" not in kinds
