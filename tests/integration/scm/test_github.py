"""GithubScm with the real PyGithub against a local GitHub Enterprise-shaped REST server."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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
    ScmAuth,
    ScmConnection,
    SkipReason,
    comment_marker,
)
from shared.domain.task import Provider, SourceKind
from shared.ports.scm import Scm
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator

TENANT = "acme"
TOKEN = f"ghp_{secrets.token_hex(12)}"  # made per run
FILES = {
    "README.md": b"# demo\n",
    "src/app.py": b"def add(a, b):\n    return a - b\n",
    "assets/logo.png": b"\x89PNG\x00\x00binary",
    "data/big.csv": b"0123456789\n" * 10_000,  # 110 000 bytes: over the 64 KiB limit below
    "bin/run.sh": b"#!/bin/sh\n",
}
LIMITS = ReadLimits(max_file_bytes=64 * 1024)
CHANGE = ChangeSet(
    branch="agent/t-1",
    base_branch="main",
    message="Fix add",
    changes=(
        FileChange("src/app.py", "def add(a, b):\n    return a + b\n"),
        FileChange("tests/test_app.py", "def test_add():\n    assert True\n"),
        FileChange("README.md", None),
        FileChange("bin/run.sh", "#!/bin/sh\necho fixed\n"),
    ),
)


@pytest.fixture
def github(secret_store) -> Iterator[tuple[GithubEmulator, Scm]]:
    emulator = GithubEmulator("octo", "demo", Forge(FILES, modes={"bin/run.sh": "100755"}), TOKEN)
    issue = emulator.add_issue("add() subtracts", "2+2 gives 0", "alice", ["bug", "agent"])
    emulator.add_comment(issue, "bob", "confirmed")
    secret_store.set(TENANT, "github-token", TOKEN)
    with emulator.server.running():
        connection = ScmConnection(
            TENANT, Provider.GITHUB, "octo/demo", emulator.api_url, "github-token"
        )
        yield emulator, scm_for(connection, secret_store, limits=LIMITS, timeout_s=5)


def test_reads_the_issue_and_the_repository(github) -> None:
    emulator, scm = github

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
    assert [(c.author, c.body) for c in item.comments] == [("bob", "confirmed")]
    assert item.url.endswith("/octo/demo/issues/1")
    assert scm.repository.default_branch(TENANT) == "main"
    by_path = {e.path: e for e in tree.entries}
    assert set(by_path) == set(FILES)  # blobs only, no directories
    assert by_path["data/big.csv"].skipped is SkipReason.TOO_LARGE
    assert by_path["src/app.py"].size == len(FILES["src/app.py"])
    assert tree.commit_sha == emulator.forge.branches["main"]
    assert app.text == FILES["src/app.py"].decode()
    assert (big.text, big.skipped) == (None, SkipReason.TOO_LARGE)
    assert (logo.text, logo.skipped) == (None, SkipReason.BINARY)
    paths = [(r.method, r.path) for r in emulator.server.requests]
    assert ("GET", "/api/v3/repos/octo/demo/issues/1/comments") in paths
    tree_sha = emulator.forge.commits[tree.commit_sha]["tree"]
    assert ("GET", f"/api/v3/repos/octo/demo/git/trees/{tree_sha}") in paths
    assert all(r.headers["authorization"] == f"token {TOKEN}" for r in emulator.server.requests)


def test_pushes_a_branch_opens_a_pull_request_and_comments(github) -> None:
    emulator, scm = github

    push = scm.branches.push_change(TENANT, CHANGE)
    pull = scm.pull_requests.open_pull_request(
        TENANT, PullRequestDraft(push.branch, "main", "Fix add", "Fixes #1", ("agent",), draft=True)
    )
    comment = scm.comments.upsert_comment(TENANT, SourceKind.ISSUE, "1", "t-1", "PR opened")

    assert push.created and pull.created
    forge = emulator.forge
    assert forge.branches["agent/t-1"] == push.commit_sha
    assert forge.read("agent/t-1", "src/app.py") == b"def add(a, b):\n    return a + b\n"
    assert forge.read("agent/t-1", "README.md") is None
    assert forge.tree_of("agent/t-1")["bin/run.sh"][0] == "100755"
    assert forge.commits[push.commit_sha]["parents"] == [forge.branches["main"]]
    tree_body = emulator.server.calls("POST", r"/git/trees$")[0].json()
    assert tree_body["base_tree"] == forge.commits[forge.branches["main"]]["tree"]
    assert {"path": "README.md", "mode": "100644", "type": "blob", "sha": None} in tree_body["tree"]
    commit_body = emulator.server.calls("POST", r"/git/commits$")[0].json()
    assert commit_body["author"] == {
        "name": "AI Code Agent",
        "email": "ai-code-agent@users.noreply.invalid",
    }
    assert emulator.server.calls("POST", r"/git/refs$")[0].json() == {
        "ref": "refs/heads/agent/t-1",
        "sha": push.commit_sha,
    }
    pull_body = emulator.server.calls("POST", r"/pulls$")[0].json()
    assert pull_body == {
        "base": "main",
        "head": "agent/t-1",
        "title": "Fix add",
        "body": "Fixes #1",
        "draft": True,
    }
    assert emulator.server.calls("POST", r"/issues/\d+/labels$")[0].json() == ["agent"]
    assert (pull.number, pull.state, pull.branch) == (2, "open", "agent/t-1")
    assert pull.url.endswith("/octo/demo/pull/2")
    assert comment.body == f"PR opened\n\n{comment_marker('t-1')}"
    assert emulator.comments[1][-1]["body"] == comment.body


def test_a_second_run_reuses_the_branch_pull_request_and_comment(github) -> None:
    emulator, scm = github
    draft = PullRequestDraft("agent/t-1", "main", "Fix add", "Fixes #1")
    first = (
        scm.branches.push_change(TENANT, CHANGE),
        scm.pull_requests.open_pull_request(TENANT, draft),
        scm.comments.upsert_comment(TENANT, SourceKind.ISSUE, "1", "t-1", "working"),
    )
    emulator.server.clear()

    push = scm.branches.push_change(TENANT, CHANGE)
    pull = scm.pull_requests.open_pull_request(TENANT, draft)
    comment = scm.comments.upsert_comment(TENANT, SourceKind.ISSUE, "1", "t-1", "done")

    assert not push.created and push.commit_sha == first[0].commit_sha
    assert not pull.created and pull.number == first[1].number
    assert comment.id == first[2].id and comment.body.startswith("done")
    assert [c["body"].split("\n")[0] for c in emulator.comments[1]] == ["confirmed", "done"]
    assert not emulator.server.calls("GET", r"/pulls/\d+$")  # the listed pull request sufficed
    writes = [(r.method, r.path) for r in emulator.server.requests if r.method != "GET"]
    assert writes == [("PATCH", f"/api/v3/repos/octo/demo/issues/comments/{comment.id}")]
    assert emulator.server.calls("GET", r"/pulls$")[0].query["head"] == ["octo:agent/t-1"]


def test_an_agent_branch_with_other_content_is_a_conflict(github) -> None:
    emulator, scm = github
    scm.branches.push_change(TENANT, CHANGE)
    other = ChangeSet("agent/t-1", "main", "x", (FileChange("src/app.py", "changed\n"),))
    emulator.server.clear()

    with pytest.raises(ScmConflict):
        scm.branches.push_change(TENANT, other)
    assert not [r for r in emulator.server.requests if r.method != "GET"]


def test_a_lost_race_for_the_branch_is_a_conflict(github) -> None:
    emulator, scm = github
    emulator.server.fail("POST", r"/git/refs$", 422, {"message": "Reference already exists"})

    with pytest.raises(ScmConflict) as caught:
        scm.branches.push_change(TENANT, CHANGE)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("status", "headers", "body", "error", "retryable"),
    [
        (401, {}, {"message": "Bad credentials"}, ScmAuthError, False),
        (404, {}, {"message": "Not Found"}, ScmNotFound, False),
        (409, {}, {"message": "Git Repository is empty."}, ScmConflict, False),
        (422, {}, {"message": "Validation Failed"}, ScmConflict, False),
        (429, {"Retry-After": "30"}, {"message": "Too many requests"}, ScmRateLimited, True),
        (502, {}, {"message": "Server Error"}, ScmUnavailable, True),
        (400, {}, {"message": "Problems parsing JSON"}, ScmError, False),
    ],
)
def test_http_failures_map_to_domain_errors_without_retrying(
    github, status, headers, body, error, retryable
) -> None:
    emulator, scm = github
    emulator.server.fail("GET", r"/issues/1$", status, body, headers)

    with pytest.raises(error) as caught:
        scm.source.get_source(TENANT, SourceKind.ISSUE, "1")

    assert type(caught.value) is error and caught.value.retryable is retryable
    assert len(emulator.server.calls("GET", r"/issues/1$")) == 1  # no SDK-internal retry
    if status == 429:
        assert caught.value.retry_after == 30.0


def test_a_secondary_rate_limit_waits_until_the_reset_time(github) -> None:
    emulator, scm = github
    reset = int(time.time()) + 120
    emulator.server.fail(
        "GET",
        r"/issues/1$",
        403,
        {"message": "You have exceeded a secondary rate limit."},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )

    with pytest.raises(ScmRateLimited) as caught:
        scm.source.get_source(TENANT, SourceKind.ISSUE, "1")
    assert 100 <= caught.value.retry_after <= 120


def test_a_refused_token_is_an_auth_error(github, secret_store) -> None:
    emulator, _ = github
    secret_store.set(TENANT, "wrong", "ghp_not_the_token")
    scm = scm_for(
        ScmConnection(TENANT, Provider.GITHUB, "octo/demo", emulator.api_url, "wrong"), secret_store
    )
    with pytest.raises(ScmAuthError):
        scm.repository.default_branch(TENANT)


def test_a_closed_port_is_unavailable(secret_store) -> None:
    secret_store.set(TENANT, "github-token", TOKEN)
    scm = scm_for(
        ScmConnection(TENANT, Provider.GITHUB, "o/r", "http://127.0.0.1:9/api/v3", "github-token"),
        secret_store,
        timeout_s=2,
    )
    with pytest.raises(ScmUnavailable):
        scm.repository.default_branch(TENANT)


def test_a_github_app_installation_token_is_minted_and_used(github, secret_store) -> None:
    emulator, _ = github
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    emulator.app = (
        4242,
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    secret_store.set(TENANT, "github-app-key", pem)
    connection = ScmConnection(
        TENANT,
        Provider.GITHUB,
        "octo/demo",
        emulator.api_url,
        "github-app-key",
        auth=ScmAuth.GITHUB_APP,
        options={"app_id": "4242", "installation_id": "77"},
    )

    branch = scm_for(connection, secret_store).repository.default_branch(TENANT)

    assert branch == "main"
    minted = emulator.server.calls("POST", r"/app/installations/77/access_tokens$")
    assert len(minted) == 1 and minted[0].headers["authorization"].startswith("Bearer ")
    assert emulator.server.calls("GET", r"/repos/octo/demo$")[0].headers["authorization"] == (
        "token ghs_installation77"
    )


def test_a_file_over_the_contents_api_limit_is_read_from_its_blob(github, secret_store) -> None:
    emulator, _ = github
    big = b"line of text\n" * 90_000  # 1.17 MB: the contents API returns no content for it
    emulator.forge.branches["main"] = emulator.forge.commit_changes(
        emulator.forge.branches["main"], {"big.txt": big}, "add big"
    )
    connection = ScmConnection(
        TENANT, Provider.GITHUB, "octo/demo", emulator.api_url, "github-token"
    )
    scm = scm_for(connection, secret_store, limits=ReadLimits(max_file_bytes=2 * 1024 * 1024))

    content = scm.repository.read_file(TENANT, "main", "big.txt")

    assert content.text == big.decode()
    assert len(emulator.server.calls("GET", r"/git/blobs/[0-9a-f]+$")) == 1
