"""GitlabScm with the real python-gitlab against a local GitLab-shaped REST server."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from shared.adapters.scm import scm_for
from shared.domain.errors import (
    ScmAuthError,
    ScmConflict,
    ScmError,
    ScmNotFound,
    ScmRateLimited,
    ScmUnavailable,
)
from shared.domain.scm import (
    ChangeSet,
    FileChange,
    PullRequestDraft,
    ReadLimits,
    ScmConnection,
    SkipReason,
    comment_marker,
)
from shared.domain.task import Provider, SourceKind
from shared.ports.scm import Scm
from tests.integration.scm.forge import Forge
from tests.integration.scm.gitlab_server import GitlabEmulator

TENANT = "acme"
TOKEN = f"glpat-{secrets.token_hex(10)}"  # made per run
FILES = {
    "README.md": b"# demo\n",
    "src/app.py": b"def add(a, b):\n    return a - b\n",
    "assets/logo.png": b"\x89PNG\x00\x00binary",
    "data/big.csv": b"0123456789\n" * 10_000,
    **{f"gen/file_{i:03d}.txt": f"{i}\n".encode() for i in range(120)},  # > one page of 100
}
LIMITS = ReadLimits(max_file_bytes=64 * 1024)
CHANGE = ChangeSet(
    "agent/t-1",
    "main",
    "Fix add",
    (
        FileChange("src/app.py", "def add(a, b):\n    return a + b\n"),
        FileChange("tests/test_app.py", "def test_add():\n    assert True\n"),
        FileChange("README.md", None),
    ),
)


@pytest.fixture
def gitlab(secret_store) -> Iterator[tuple[GitlabEmulator, Scm]]:
    emulator = GitlabEmulator("group/demo", Forge(FILES), TOKEN)
    iid = emulator.add_issue("add() subtracts", "2+2 gives 0", "alice", ["bug", "agent"])
    emulator.add_note("issues", iid, "bob", "confirmed")
    emulator.add_note("issues", iid, "bob", "added ~bug label", system=True)
    secret_store.set(TENANT, "gitlab-token", TOKEN)
    with emulator.server.running():
        connection = ScmConnection(
            TENANT, Provider.GITLAB, "group/demo", emulator.url, "gitlab-token"
        )
        yield emulator, scm_for(connection, secret_store, limits=LIMITS, timeout_s=5)


def test_reads_the_issue_and_the_repository(gitlab) -> None:
    emulator, scm = gitlab

    item = scm.source.get_source(TENANT, SourceKind.ISSUE, "1")
    tree = scm.repository.list_tree(TENANT, "main")
    app = scm.repository.read_file(TENANT, "main", "src/app.py")
    big = scm.repository.read_file(TENANT, "main", "data/big.csv")
    logo = scm.repository.read_file(TENANT, "main", "assets/logo.png")

    assert (item.title, item.body, item.author, item.labels) == (
        "add() subtracts",
        "2+2 gives 0",
        "alice",
        ("bug", "agent"),
    )
    assert [(c.author, c.body) for c in item.comments] == [("bob", "confirmed")]  # no system note
    assert scm.repository.default_branch(TENANT) == "main"
    assert {e.path for e in tree.entries} == set(FILES)
    assert tree.commit_sha == emulator.forge.branches["main"]
    assert len(emulator.server.calls("GET", r"/repository/tree$")) == 2  # followed the Link
    assert app.text == FILES["src/app.py"].decode()
    assert (big.text, big.skipped, big.size) == (None, SkipReason.TOO_LARGE, 110_000)
    assert not emulator.server.calls("GET", r"/files/data/big.csv/raw$")  # HEAD only
    assert (logo.text, logo.skipped) == (None, SkipReason.BINARY)
    assert emulator.server.calls("HEAD")[0].raw_path.endswith("/repository/files/src%2Fapp.py")
    assert all(r.headers["private-token"] == TOKEN for r in emulator.server.requests)


def test_pushes_a_branch_opens_a_merge_request_and_comments(gitlab) -> None:
    emulator, scm = gitlab

    push = scm.branches.push_change(TENANT, CHANGE)
    mr = scm.pull_requests.open_pull_request(
        TENANT,
        PullRequestDraft(push.branch, "main", "Fix add", "Closes #1", ("agent", "bot"), draft=True),
    )
    note = scm.comments.upsert_comment(TENANT, SourceKind.ISSUE, "1", "t-1", "MR opened")

    assert push.created and mr.created
    assert emulator.forge.read("agent/t-1", "src/app.py") == b"def add(a, b):\n    return a + b\n"
    assert emulator.forge.read("agent/t-1", "README.md") is None
    commit = emulator.server.calls("POST", r"/repository/commits$")[0].json()
    assert commit == {
        "branch": "agent/t-1",
        "start_branch": "main",
        "commit_message": "Fix add",
        "author_name": "AI Code Agent",
        "author_email": "ai-code-agent@users.noreply.invalid",
        "actions": [
            {
                "action": "update",
                "file_path": "src/app.py",
                "content": "def add(a, b):\n    return a + b\n",
            },
            {
                "action": "create",
                "file_path": "tests/test_app.py",
                "content": "def test_add():\n    assert True\n",
            },
            {"action": "delete", "file_path": "README.md"},
        ],
    }
    assert emulator.server.calls("POST", r"/merge_requests$")[0].json() == {
        "source_branch": "agent/t-1",
        "target_branch": "main",
        "title": "Draft: Fix add",
        "description": "Closes #1",
        "labels": "agent,bot",
    }
    assert (mr.number, mr.state, mr.branch) == (1, "open", "agent/t-1")
    assert note.body == f"MR opened\n\n{comment_marker('t-1')}"
    assert emulator.notes[("issues", 1)][-1]["body"] == note.body


def test_a_second_run_reuses_the_branch_merge_request_and_note(gitlab) -> None:
    emulator, scm = gitlab
    draft = PullRequestDraft("agent/t-1", "main", "Fix add", "Closes #1")
    first = (
        scm.branches.push_change(TENANT, CHANGE),
        scm.pull_requests.open_pull_request(TENANT, draft),
        scm.comments.upsert_comment(TENANT, SourceKind.ISSUE, "1", "t-1", "working"),
    )
    emulator.server.clear()

    push = scm.branches.push_change(TENANT, CHANGE)
    mr = scm.pull_requests.open_pull_request(TENANT, draft)
    note = scm.comments.upsert_comment(TENANT, SourceKind.ISSUE, "1", "t-1", "done")

    assert not push.created and push.commit_sha == first[0].commit_sha
    assert not mr.created and mr.number == first[1].number
    assert note.id == first[2].id and note.body.startswith("done")
    writes = [
        (r.method, r.raw_path) for r in emulator.server.requests if r.method not in ("GET", "HEAD")
    ]
    assert writes == [("PUT", f"/api/v4/projects/group%2Fdemo/issues/1/notes/{note.id}")]
    assert emulator.server.calls("GET", r"/merge_requests$")[0].query["source_branch"] == [
        "agent/t-1"
    ]


def test_an_agent_branch_with_other_content_is_a_conflict(gitlab) -> None:
    emulator, scm = gitlab
    scm.branches.push_change(TENANT, CHANGE)
    emulator.server.clear()

    with pytest.raises(ScmConflict):
        scm.branches.push_change(
            TENANT, ChangeSet("agent/t-1", "main", "x", (FileChange("src/app.py", "other\n"),))
        )
    assert not [r for r in emulator.server.requests if r.method not in ("GET", "HEAD")]


def test_a_lost_race_for_the_branch_is_a_conflict(gitlab) -> None:
    emulator, scm = gitlab
    emulator.server.fail(
        "POST",
        r"/repository/commits$",
        400,
        {"message": "A branch called 'agent/t-1' already exists."},
    )
    with pytest.raises(ScmConflict):
        scm.branches.push_change(TENANT, CHANGE)


@pytest.mark.parametrize(
    ("status", "headers", "error", "retryable"),
    [
        (401, {}, ScmAuthError, False),
        (403, {}, ScmAuthError, False),
        (404, {}, ScmNotFound, False),
        (409, {}, ScmConflict, False),
        (429, {"Retry-After": "30", "RateLimit-Remaining": "0"}, ScmRateLimited, True),
        (502, {}, ScmUnavailable, True),
        (400, {}, ScmError, False),
    ],
)
def test_http_failures_map_to_domain_errors_without_retrying(
    gitlab, status, headers, error, retryable
) -> None:
    emulator, scm = gitlab
    emulator.server.fail("GET", r"/issues/1$", status, {"message": f"{status} Failure"}, headers)

    with pytest.raises(error) as caught:
        scm.source.get_source(TENANT, SourceKind.ISSUE, "1")

    assert type(caught.value) is error and caught.value.retryable is retryable
    assert len(emulator.server.calls("GET", r"/issues/1$")) == 1  # python-gitlab did not retry
    if status == 429:
        assert caught.value.retry_after == 30.0


def test_a_rate_limit_without_retry_after_waits_until_the_reset_time(gitlab) -> None:
    emulator, scm = gitlab
    reset = int(time.time()) + 90
    emulator.server.fail(
        "GET", r"/issues/1$", 429, {"message": "Retry later"}, {"RateLimit-Reset": str(reset)}
    )

    with pytest.raises(ScmRateLimited) as caught:
        scm.source.get_source(TENANT, SourceKind.ISSUE, "1")
    assert 70 <= caught.value.retry_after <= 90


def test_merge_request_notes_are_read_and_written(gitlab) -> None:
    _emulator, scm = gitlab
    scm.branches.push_change(TENANT, CHANGE)
    mr = scm.pull_requests.open_pull_request(
        TENANT, PullRequestDraft("agent/t-1", "main", "Fix", "")
    )

    scm.comments.upsert_comment(TENANT, SourceKind.MERGE_REQUEST, str(mr.number), "t-1", "ready")
    item = scm.source.get_source(TENANT, SourceKind.MERGE_REQUEST, str(mr.number))

    assert item.title == "Fix" and [c.task_id for c in item.comments] == ["t-1"]


def test_a_closed_port_is_unavailable_at_once(secret_store) -> None:
    secret_store.set(TENANT, "gitlab-token", TOKEN)
    connection = ScmConnection(TENANT, Provider.GITLAB, "g/p", "http://127.0.0.1:9", "gitlab-token")
    started = time.monotonic()
    with pytest.raises(ScmUnavailable):
        scm_for(connection, secret_store, timeout_s=2).repository.default_branch(TENANT)
    assert time.monotonic() - started < 2
