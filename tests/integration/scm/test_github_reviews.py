"""GithubReviews with the real PyGithub against the local GitHub REST emulator: the diff of a
pull request, a review published with inline comments on the right lines, and a re-run that
edits, deletes and adds instead of duplicating, never touching a human's comment."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from shared.adapters.scm import scm_for
from shared.domain.errors import ScmConflict, ScmError, ScmNotFound
from shared.domain.review import (
    REVIEW_MARKER,
    SUMMARY_MARKER,
    ReviewComment,
    ReviewDraft,
    commentable_lines,
)
from shared.domain.scm import ReadLimits, ScmConnection
from shared.domain.task import Provider
from shared.ports.scm import Scm
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator

TENANT = "acme"
TOKEN = f"ghp_{secrets.token_hex(12)}"
BASE = {
    "src/app.py": b"def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "docs/old.md": b"# old\n",
    "logo.png": b"\x89PNG\x00\x00",
}
HEAD = {
    "src/app.py": b"def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n",
    "src/new.py": b"import os\n\nSECRET = os.environ['X']\n",
    "docs/old.md": None,
}


@pytest.fixture
def github(secret_store) -> Iterator[tuple[GithubEmulator, Scm, str]]:
    emulator = GithubEmulator("octo", "demo", Forge(BASE), TOKEN)
    forge = emulator.forge
    forge.branches["feature"] = forge.commit_changes(forge.branches["main"], HEAD, "change")
    number = emulator.add_pull("feature", "main", "Swap sub", "Reverses sub", "alice")
    secret_store.set(TENANT, "github-token", TOKEN)
    with emulator.server.running():
        connection = ScmConnection(
            TENANT, Provider.GITHUB, "octo/demo", emulator.api_url, "github-token"
        )
        scm = scm_for(connection, secret_store, limits=ReadLimits(), timeout_s=5)
        yield emulator, scm, str(number)


def test_the_diff_names_each_file_its_status_and_its_hunks(github) -> None:
    emulator, scm, number = github
    diff = scm.reviews.pull_request_diff(TENANT, number)
    by_path = {f.path: f for f in diff.files}
    assert (diff.number, diff.title, diff.description) == (number, "Swap sub", "Reverses sub")
    assert diff.head_sha == emulator.forge.branches["feature"]
    assert diff.base_sha == diff.start_sha == emulator.forge.branches["main"]
    assert {p: f.status for p, f in by_path.items()} == {
        "src/app.py": "modified",
        "src/new.py": "added",
        "docs/old.md": "deleted",
    }
    assert commentable_lines(by_path["src/app.py"]) == {3, 4, 5, 6}
    assert commentable_lines(by_path["src/new.py"]) == {1, 2, 3}
    assert commentable_lines(by_path["docs/old.md"]) == frozenset()
    with pytest.raises(ScmNotFound):
        scm.reviews.pull_request_diff(TENANT, "99")


def _agent(emulator: GithubEmulator, number: str) -> dict[tuple[str, int], str]:
    return {
        (c["path"], c["line"]): c["body"]
        for c in emulator.review_comments.get(int(number), [])
        if c["user"]["login"] == emulator.login
    }


def test_a_rerun_edits_deletes_and_adds_and_leaves_humans_alone(github) -> None:
    emulator, scm, number = github
    emulator.add_review_comment(int(number), "bob", "src/app.py", 6, f"me too {REVIEW_MARKER}")
    first = ReviewDraft(
        "Two problems.",
        (
            ReviewComment("src/app.py", 6, "Operands swapped."),
            ReviewComment("src/new.py", 3, "KeyError when X is unset."),
        ),
    )
    posted = scm.reviews.publish_review(TENANT, number, first)
    assert (posted.created, posted.updated, posted.removed) == (2, 0, 0)
    assert _agent(emulator, number) == {
        ("src/app.py", 6): f"Operands swapped.\n\n{REVIEW_MARKER}",
        ("src/new.py", 3): f"KeyError when X is unset.\n\n{REVIEW_MARKER}",
    }
    [summary] = emulator.comments[int(number)]
    assert summary["body"] == f"Two problems.\n\n{SUMMARY_MARKER}"
    assert posted.url == summary["html_url"]

    same = scm.reviews.publish_review(TENANT, number, first)
    assert (same.created, same.updated, same.removed) == (0, 0, 0)

    second = ReviewDraft(
        "One problem left.",
        (
            ReviewComment("src/app.py", 6, "Operands swapped: b - a."),
            ReviewComment("src/new.py", 1, "Unused import?"),
        ),
    )
    again = scm.reviews.publish_review(TENANT, number, second)
    assert (again.created, again.updated, again.removed) == (1, 1, 1)
    assert _agent(emulator, number) == {
        ("src/app.py", 6): f"Operands swapped: b - a.\n\n{REVIEW_MARKER}",
        ("src/new.py", 1): f"Unused import?\n\n{REVIEW_MARKER}",
    }
    humans = [c for c in emulator.review_comments[int(number)] if c["user"]["login"] == "bob"]
    assert [c["body"] for c in humans] == [f"me too {REVIEW_MARKER}"]  # untouched
    assert [c["body"] for c in emulator.comments[int(number)]] == [
        f"One problem left.\n\n{SUMMARY_MARKER}"
    ]
    sent = [(r.method, r.path) for r in emulator.server.requests]
    assert sent.count(("POST", f"/api/v3/repos/octo/demo/pulls/{number}/reviews")) == 2


def test_a_line_outside_the_diff_is_refused_by_the_server(github) -> None:
    emulator, scm, number = github
    draft = ReviewDraft("s", (ReviewComment("src/app.py", 1, "not in a hunk"),))
    with pytest.raises(ScmError):
        scm.reviews.publish_review(TENANT, number, draft)
    assert _agent(emulator, number) == {}


def test_a_push_after_the_diff_was_read_leaves_comments_on_the_reviewed_commit(github) -> None:
    emulator, scm, number = github
    diff = scm.reviews.pull_request_diff(TENANT, number)
    forge = emulator.forge
    # two lines inserted above: line 6 of the new head is no longer `return b - a`
    pushed = dict(HEAD, **{"src/app.py": b"import math\n\n" + HEAD["src/app.py"]})  # type: ignore[operator]
    forge.branches["feature"] = forge.commit_changes(forge.branches["feature"], pushed, "push")
    draft = ReviewDraft(
        "s", (ReviewComment("src/app.py", 6, "Operands swapped."),), reviewed=diff.shas
    )

    scm.reviews.publish_review(TENANT, number, draft)

    [comment] = [c for c in emulator.review_comments[int(number)] if REVIEW_MARKER in c["body"]]
    assert (comment["path"], comment["line"]) == ("src/app.py", 6)
    assert comment["commit_id"] == diff.head_sha != forge.branches["feature"]


def test_a_reviewed_commit_gone_from_the_pull_request_is_refused_and_changes_nothing(
    github,
) -> None:
    emulator, scm, number = github
    stale = ReviewDraft("First.", (ReviewComment("src/new.py", 1, "Unused import?"),))
    scm.reviews.publish_review(TENANT, number, stale)
    diff = scm.reviews.pull_request_diff(TENANT, number)
    forge = emulator.forge  # a force-push: the reviewed head is no longer in the pull request
    forge.branches["feature"] = forge.commit_changes(forge.branches["main"], HEAD, "rewritten")
    draft = ReviewDraft(
        "Second.", (ReviewComment("src/app.py", 6, "Operands swapped."),), reviewed=diff.shas
    )

    with pytest.raises(ScmConflict):
        scm.reviews.publish_review(TENANT, number, draft)

    assert _agent(emulator, number) == {("src/new.py", 1): f"Unused import?\n\n{REVIEW_MARKER}"}
    assert [c["body"] for c in emulator.comments[int(number)]] == [f"First.\n\n{SUMMARY_MARKER}"]
