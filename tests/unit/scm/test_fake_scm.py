"""The in-memory FakeScm keeps the ports' contracts (services' unit tests rely on it)."""

from __future__ import annotations

import pytest

from shared.domain.errors import PermissionDenied, ScmConflict, ScmNotFound
from shared.domain.scm import ChangeSet, FileChange, PullRequestDraft, SkipReason, SourceItem
from shared.domain.task import SourceKind
from shared.ports.scm.fake import FakeScm


@pytest.fixture
def fake() -> FakeScm:
    scm = FakeScm("acme", branches={"main": {"a.py": b"x = 1\n", "logo.png": b"\x00PNG"}})
    scm.items[(SourceKind.ISSUE, "1")] = SourceItem(SourceKind.ISSUE, "1", "t", "b", "alice")
    return scm


def test_push_open_and_comment_are_idempotent(fake: FakeScm) -> None:
    scm = fake.as_scm()
    change = ChangeSet("agent/t", "main", "m", (FileChange("a.py", "x = 2\n"),))

    pushes = [scm.branches.push_change("acme", change) for _ in range(2)]
    pulls = [
        scm.pull_requests.open_pull_request("acme", PullRequestDraft("agent/t", "main", "T", ""))
        for _ in range(2)
    ]
    comments = [
        scm.comments.upsert_comment("acme", SourceKind.ISSUE, "1", "t", f"v{i}") for i in range(2)
    ]

    assert [p.created for p in pushes] == [True, False] and pushes[0].commit_sha == pushes[
        1
    ].commit_sha
    assert [p.created for p in pulls] == [True, False] and pulls[0].number == pulls[1].number
    assert comments[0].id == comments[1].id
    assert len(scm.source.get_source("acme", SourceKind.ISSUE, "1").comments) == 1
    with pytest.raises(ScmConflict):
        scm.branches.push_change(
            "acme", ChangeSet("agent/t", "main", "m", (FileChange("a.py", "y"),))
        )


def test_reading_skips_binaries_and_guards_the_tenant(fake: FakeScm) -> None:
    tree = fake.list_tree("acme", "main")
    assert {e.path: e.skipped for e in tree.entries} == {
        "a.py": None,
        "logo.png": SkipReason.BINARY,
    }
    assert fake.read_file("acme", "main", "a.py").text == "x = 1\n"
    with pytest.raises(ScmNotFound):
        fake.read_file("acme", "main", "missing.py")
    with pytest.raises(PermissionDenied):
        fake.default_branch("other")
