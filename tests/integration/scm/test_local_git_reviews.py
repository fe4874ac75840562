"""local_git reviews on a real bare repository and the tenant's schema: the diff against the
merge base (added, modified, deleted, renamed, binary), and a published review that a re-run
reconciles; another tenant's connection reaches none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.scm import scm_for
from shared.adapters.scm.local_git import LocalIssues
from shared.adapters.scm.local_git.git import GitRepository
from shared.adapters.secrets.local import LocalSecretStore
from shared.domain.errors import PermissionDenied, ScmNotFound
from shared.domain.review import (
    REVIEW_MARKER,
    SUMMARY_MARKER,
    ReviewComment,
    ReviewDraft,
    commentable_lines,
)
from shared.domain.scm import FileChange, PullRequestDraft, ScmConnection
from shared.domain.task import Provider
from tests.integration.scm.gitrepo import make_bare_repo

BASE = {
    "src/app.py": b"def add(a, b):\n    return a - b\n",
    "docs/guide.md": b"# Guide\n\nRead me first.\nThen the rest.\n",
    "old.txt": b"obsolete\n",
    "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
}


@pytest.fixture
def world(tmp_path: Path, db, tenant_directory, new_tenant):
    tenant = new_tenant("rev").slug
    bare = make_bare_repo(tmp_path / "repos" / "team" / "demo.git", BASE)
    git = GitRepository(bare)
    main = git.resolve("refs/heads/main")
    head = git.commit_change(
        main,
        (
            FileChange("src/app.py", "def add(a, b):\n    return a + b\n"),
            FileChange("docs/guide.md", None),
            FileChange("docs/manual.md", "# Guide\n\nRead me first.\nThen the rest.\n"),
            FileChange("old.txt", None),
            FileChange("src/new.py", "X = 1\n"),
        ),
        "change",
        ("alice", "alice@example.com"),
    )
    git.create_branch("feature", head)
    # main moves on after the branch: the diff is still against the merge base
    git.run("update-ref", "refs/heads/main", git.commit_change(
        main, (FileChange("README.md", "later\n"),), "later", ("bob", "bob@example.com")
    ), main)  # fmt: skip
    issues = LocalIssues(db, tenant_directory)
    pull = issues.open_pull_request(
        tenant,
        "team/demo",
        PullRequestDraft("feature", "main", "Fix add", "Fixes add."),
        head_sha=head,
        author="alice",
    )

    def connect(slug: str):
        return scm_for(
            ScmConnection(slug, Provider.LOCAL_GIT, "team/demo"),
            LocalSecretStore(tmp_path / "secrets"),
            db=db,
            tenants=tenant_directory,
            local_git_root=tmp_path / "repos",
        )

    return tenant, connect(tenant), issues, str(pull.number), main, head, connect


def test_the_diff_is_against_the_merge_base_with_each_kind_of_change(world) -> None:
    tenant, scm, _, number, main, head, _ = world
    diff = scm.reviews.pull_request_diff(tenant, number)
    assert (diff.title, diff.description, diff.head_sha, diff.base_sha) == (
        "Fix add",
        "Fixes add.",
        head,
        main,
    )
    by_path = {f.path: f for f in diff.files}
    assert {p: (f.status, f.old_path) for p, f in by_path.items()} == {
        "src/app.py": ("modified", None),
        "docs/manual.md": ("renamed", "docs/guide.md"),
        "old.txt": ("deleted", None),
        "src/new.py": ("added", None),
    }
    assert "README.md" not in by_path  # a change on main after the branch is not the PR's
    assert by_path["src/app.py"].patch.startswith("@@ -1,2 +1,2 @@")
    assert commentable_lines(by_path["src/app.py"]) == {1, 2}
    assert commentable_lines(by_path["old.txt"]) == frozenset()
    with pytest.raises(ScmNotFound):
        scm.reviews.pull_request_diff(tenant, "42")


def test_publishing_twice_reconciles_and_another_tenant_is_refused(world, new_tenant) -> None:
    tenant, scm, issues, number, *_, connect = world
    first = ReviewDraft(
        "S1", (ReviewComment("src/app.py", 2, "a"), ReviewComment("src/new.py", 1, "b"))
    )
    assert scm.reviews.publish_review(tenant, number, first).created == 2
    second = ReviewDraft("S2", (ReviewComment("src/app.py", 2, "a2"),))
    result = scm.reviews.publish_review(tenant, number, second)
    assert (result.created, result.updated, result.removed) == (0, 1, 1)
    with issues.transaction(tenant) as tx:
        rows = tx.conn.execute(
            "SELECT path, line, body FROM scm_review_comments ORDER BY id"
        ).fetchall()
        summaries = tx.conn.execute(
            "SELECT body FROM scm_comments WHERE target_kind = 'pull_request'"
        ).fetchall()
    assert [(r["path"], r["line"], r["body"]) for r in rows] == [
        ("src/app.py", 2, f"a2\n\n{REVIEW_MARKER}")
    ]
    assert [s["body"] for s in summaries] == [f"S2\n\n{SUMMARY_MARKER}"]

    other = new_tenant("rev").slug
    with pytest.raises(PermissionDenied):
        scm.reviews.publish_review(other, number, second)
    with pytest.raises(ScmNotFound):  # the other tenant's own connection sees no such PR
        connect(other).reviews.pull_request_diff(other, number)


def test_comments_record_the_reviewed_head_not_one_pushed_since(world, tmp_path: Path) -> None:
    tenant, scm, issues, number, _, head, _ = world
    diff = scm.reviews.pull_request_diff(tenant, number)
    git = GitRepository(tmp_path / "repos" / "team" / "demo.git")
    pushed = git.commit_change(
        head, (FileChange("src/app.py", "# moved\ndef add(a, b):\n    return a + b\n"),), "push",
        ("alice", "alice@example.com"),
    )  # fmt: skip
    git.run("update-ref", "refs/heads/feature", pushed, head)
    draft = ReviewDraft("S", (ReviewComment("src/app.py", 2, "a"),), reviewed=diff.shas)

    scm.reviews.publish_review(tenant, number, draft)

    with issues.transaction(tenant) as tx:
        [row] = tx.conn.execute("SELECT line, commit_sha FROM scm_review_comments").fetchall()
    assert (row["line"], row["commit_sha"]) == (2, head)
    assert git.resolve("refs/heads/feature") == pushed != head
