"""local_git end to end on real bare repositories and the tenant's own schema."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.adapters.scm import scm_for
from shared.adapters.scm.local_git import LocalIssues
from shared.adapters.secrets.local import LocalSecretStore
from shared.domain.errors import (
    ConfigurationError,
    PermissionDenied,
    ScmConflict,
    ScmNotFound,
)
from shared.domain.scm import (
    ChangeSet,
    FileChange,
    PullRequestDraft,
    ReadLimits,
    ScmConnection,
    SkipReason,
    agent_branch,
    comment_marker,
)
from shared.domain.task import Provider, SourceKind
from shared.ports.scm import Scm
from tests.integration.scm.gitrepo import git, make_bare_repo, show

FILES = {
    "README.md": b"# Demo\n",
    "src/app.py": b"def add(a, b):\n    return a - b\n",
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "data/big.csv": b"x,y\n" * 40_000,  # 160 000 bytes: over the 64 KiB limit below
}
LIMITS = ReadLimits(max_file_bytes=64 * 1024)


@pytest.fixture
def world(tmp_path: Path, db, tenant_directory, new_tenant):
    tenant = new_tenant("git").slug
    make_bare_repo(
        tmp_path / "repos" / "team" / "demo.git",
        [
            *((p, d, "100644") for p, d in FILES.items()),
            ("run.sh", b"#!/bin/sh\necho hi\n", "100755"),
        ],
    )
    connection = ScmConnection(tenant, Provider.LOCAL_GIT, "team/demo")
    scm = scm_for(
        connection,
        LocalSecretStore(tmp_path / "secrets"),
        limits=LIMITS,
        db=db,
        tenants=tenant_directory,
        local_git_root=tmp_path / "repos",
    )
    issues = LocalIssues(db, tenant_directory)
    return tenant, scm, issues, tmp_path / "repos" / "team" / "demo.git"


def _change(task: str, text: str = "def add(a, b):\n    return a + b\n") -> ChangeSet:
    return ChangeSet(
        branch=agent_branch(task),
        base_branch="main",
        message=f"Fix add\n\nAgent-Task: {task}",
        changes=(
            FileChange("src/app.py", text),
            FileChange("tests/test_app.py", "from src.app import add\n"),
            FileChange("README.md", None),
            FileChange("run.sh", "#!/bin/sh\necho fixed\n"),
        ),
    )


def test_reads_an_issue_with_its_labels_and_comments(world) -> None:
    tenant, scm, issues, _ = world
    number = issues.create_issue(
        tenant,
        "team/demo",
        title="add() subtracts",
        body="2+2 gives 0",
        author="alice",
        labels=("bug", "agent"),
    )
    issues.add_comment(tenant, "team/demo", SourceKind.ISSUE, str(number), author="bob", body="+1")

    item = scm.source.get_source(tenant, SourceKind.ISSUE, str(number))

    assert (item.title, item.body, item.author, item.labels) == (
        "add() subtracts",
        "2+2 gives 0",
        "alice",
        ("bug", "agent"),
    )
    assert [(c.author, c.body) for c in item.comments] == [("bob", "+1")]
    assert item.url == f"local_git://team/demo/issues/{number}"


def test_reads_the_default_branch_tree_and_files_skipping_binary_and_oversized(world) -> None:
    tenant, scm, _, _ = world
    repo = scm.repository

    assert repo.default_branch(tenant) == "main"
    tree = repo.list_tree(tenant, "main")
    by_path = {e.path: e for e in tree.entries}
    assert set(by_path) == {*FILES, "run.sh"}
    assert by_path["assets/logo.png"].skipped is SkipReason.BINARY
    assert by_path["data/big.csv"].skipped is SkipReason.TOO_LARGE
    assert by_path["src/app.py"].skipped is None and by_path["src/app.py"].size == 32
    assert not tree.truncated and len(tree.commit_sha) == 40

    app = repo.read_file(tenant, tree.commit_sha, "src/app.py")
    assert app.text == FILES["src/app.py"].decode() and app.skipped is None
    logo = repo.read_file(tenant, "main", "assets/logo.png")
    assert (logo.text, logo.skipped) == (None, SkipReason.BINARY)
    big = repo.read_file(tenant, "main", "data/big.csv")
    assert (big.text, big.skipped, big.size) == (None, SkipReason.TOO_LARGE, 160_000)
    with pytest.raises(ScmNotFound):
        repo.read_file(tenant, "main", "src/missing.py")
    with pytest.raises(ScmNotFound):
        repo.list_tree(tenant, "no-such-branch")


def test_a_tree_over_the_entry_limit_is_cut_and_says_so(
    tmp_path: Path, db, tenant_directory, world
) -> None:
    tenant, _, _, _ = world
    scm = scm_for(
        ScmConnection(tenant, Provider.LOCAL_GIT, "team/demo"),
        LocalSecretStore(tmp_path),
        limits=ReadLimits(max_tree_entries=2),
        db=db,
        tenants=tenant_directory,
        local_git_root=tmp_path / "repos",
    )
    tree = scm.repository.list_tree(tenant, "main")
    assert tree.truncated and len(tree.entries) == 2


def test_pushes_one_commit_on_the_agent_branch_and_reuses_it_when_identical(world) -> None:
    tenant, scm, _, bare = world
    task = f"task-{secrets.token_hex(3)}"

    first = scm.branches.push_change(tenant, _change(task))
    second = scm.branches.push_change(tenant, _change(task))

    assert first.created and not second.created
    assert second.commit_sha == first.commit_sha
    assert first.branch == f"agent/{task}"
    assert show(bare, first.branch, "src/app.py") == b"def add(a, b):\n    return a + b\n"
    assert show(bare, first.branch, "tests/test_app.py") == b"from src.app import add\n"
    listing = git(bare, "ls-tree", "-r", "--name-only", first.branch).decode().split()
    assert "README.md" not in listing and "assets/logo.png" in listing
    assert git(bare, "ls-tree", first.branch, "run.sh").split()[0] == b"100755"  # mode kept
    parent = git(bare, "rev-parse", f"{first.commit_sha}^").strip()
    assert parent == git(bare, "rev-parse", "main").strip()
    assert git(bare, "log", "-1", "--format=%an <%ae>", first.branch).strip() == (
        b"AI Code Agent <ai-code-agent@users.noreply.invalid>"
    )
    assert git(bare, "rev-parse", "main").strip() != first.commit_sha.encode()  # base untouched


def test_an_agent_branch_with_other_content_is_a_conflict(world) -> None:
    tenant, scm, _, _ = world
    task = f"task-{secrets.token_hex(3)}"
    scm.branches.push_change(tenant, _change(task))

    with pytest.raises(ScmConflict):
        scm.branches.push_change(tenant, _change(task, text="def add(a, b):\n    return b + a\n"))


def test_opening_the_pull_request_twice_yields_the_same_one(world) -> None:
    tenant, scm, _, _ = world
    task = f"task-{secrets.token_hex(3)}"
    push = scm.branches.push_change(tenant, _change(task))
    draft = PullRequestDraft(push.branch, "main", "Fix add", "Fixes #1", ("agent",), draft=True)

    assert scm.pull_requests.find_pull_request(tenant, push.branch) is None
    first = scm.pull_requests.open_pull_request(tenant, draft)
    second = scm.pull_requests.open_pull_request(tenant, draft)

    assert first.created and not second.created
    assert (second.number, second.url, second.state) == (first.number, first.url, "open")
    assert scm.pull_requests.find_pull_request(tenant, push.branch) == second
    pr = scm.source.get_source(tenant, SourceKind.PULL_REQUEST, str(first.number))
    assert (pr.title, pr.body, pr.labels) == ("Fix add", "Fixes #1", ("agent",))


def test_a_pull_request_needs_its_branch(world) -> None:
    tenant, scm, _, _ = world
    with pytest.raises(ScmNotFound):
        scm.pull_requests.open_pull_request(
            tenant, PullRequestDraft("agent/never-pushed", "main", "t", "b")
        )


def test_commenting_twice_leaves_one_updated_comment(world) -> None:
    tenant, scm, issues, _ = world
    number = str(issues.create_issue(tenant, "team/demo", title="t", author="alice"))
    issues.add_comment(tenant, "team/demo", SourceKind.ISSUE, number, author="bob", body="hi")
    task = f"task-{secrets.token_hex(3)}"

    first = scm.comments.upsert_comment(tenant, SourceKind.ISSUE, number, task, "Working on it")
    second = scm.comments.upsert_comment(tenant, SourceKind.ISSUE, number, task, "Opened PR #1")
    other = scm.comments.upsert_comment(tenant, SourceKind.ISSUE, number, "other-task", "Hello")

    item = scm.source.get_source(tenant, SourceKind.ISSUE, number)
    assert [c.body for c in item.comments] == [
        "hi",
        f"Opened PR #1\n\n{comment_marker(task)}",
        f"Hello\n\n{comment_marker('other-task')}",
    ]
    assert first.id == second.id != other.id
    assert item.comments[1].task_id == task


def test_end_to_end_issue_to_pull_request_and_comment(world) -> None:
    tenant, scm, issues, bare = world
    number = str(issues.create_issue(tenant, "team/demo", title="add() is wrong", author="alice"))
    task = f"e2e-{secrets.token_hex(3)}"

    issue = scm.source.get_source(tenant, SourceKind.ISSUE, number)
    base = scm.repository.default_branch(tenant)
    original = scm.repository.read_file(tenant, base, "src/app.py").text
    assert original is not None
    fixed = original.replace("a - b", "a + b")
    for _ in range(2):  # the whole flow twice: a retried task changes nothing the second time
        push = scm.branches.push_change(
            tenant,
            ChangeSet(agent_branch(task), base, issue.title, (FileChange("src/app.py", fixed),)),
        )
        pr = scm.pull_requests.open_pull_request(
            tenant, PullRequestDraft(push.branch, base, issue.title, f"Fixes #{number}")
        )
        scm.comments.upsert_comment(tenant, SourceKind.ISSUE, number, task, f"PR: {pr.url}")

    assert show(bare, agent_branch(task), "src/app.py").decode() == fixed
    comments = scm.source.get_source(tenant, SourceKind.ISSUE, number).comments
    assert [c.body for c in comments] == [f"PR: {pr.url}\n\n{comment_marker(task)}"]
    assert not pr.created and not push.created


def test_records_of_one_tenant_are_invisible_to_another(
    world, tmp_path, db, tenant_directory, new_tenant
) -> None:
    tenant, _, issues, _ = world
    number = str(issues.create_issue(tenant, "team/demo", title="secret plans", author="alice"))
    intruder = new_tenant("other").slug
    theirs = scm_for(
        ScmConnection(intruder, Provider.LOCAL_GIT, "team/demo"),
        LocalSecretStore(tmp_path),
        db=db,
        tenants=tenant_directory,
        local_git_root=tmp_path / "repos",
    )
    with pytest.raises(ScmNotFound):
        theirs.source.get_source(intruder, SourceKind.ISSUE, number)


def test_an_adapter_refuses_a_tenant_other_than_its_connections(world) -> None:
    _, scm, _, _ = world
    with pytest.raises(PermissionDenied):
        scm.repository.default_branch("someone-else")


def test_a_repository_path_may_not_leave_the_root(tmp_path, db, tenant_directory, world) -> None:
    tenant, _, _, _ = world
    scm: Scm = scm_for(
        ScmConnection(tenant, Provider.LOCAL_GIT, "../outside"),
        LocalSecretStore(tmp_path),
        db=db,
        tenants=tenant_directory,
        local_git_root=tmp_path / "repos",
    )
    with pytest.raises(ConfigurationError):
        scm.repository.default_branch(tenant)


def test_concurrent_runs_of_one_task_leave_one_branch_one_pull_request_one_comment(world) -> None:
    tenant, scm, issues, _ = world
    number = str(issues.create_issue(tenant, "team/demo", title="race", author="alice"))
    task = f"race-{secrets.token_hex(3)}"

    def run(i: int) -> tuple[bool, str, int, str]:
        push = scm.branches.push_change(tenant, _change(task))
        pr = scm.pull_requests.open_pull_request(
            tenant, PullRequestDraft(push.branch, "main", "Fix add", "")
        )
        comment = scm.comments.upsert_comment(tenant, SourceKind.ISSUE, number, task, f"run {i}")
        return push.created, push.commit_sha, pr.number, comment.id

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(4)))

    assert sum(created for created, *_ in results) == 1
    assert len({(sha, pr, cid) for _, sha, pr, cid in results}) == 1
    assert len(scm.source.get_source(tenant, SourceKind.ISSUE, number).comments) == 1
