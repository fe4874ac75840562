"""The review domain: which lines take an inline comment, and the one reconcile rule every
adapter follows on a re-run (checked here on the FakeScm, which applies it in memory)."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidInput, PermissionDenied, ScmNotFound
from shared.domain.review import (
    REVIEW_MARKER,
    SUMMARY_MARKER,
    DiffFile,
    PostedComment,
    PullRequestDiff,
    ReviewComment,
    ReviewDraft,
    commentable_lines,
    plan_review_sync,
    strip_review_marker,
    with_review_marker,
)
from shared.ports.scm.fake import FakeScm

PATCH = "\n".join(
    [
        "@@ -3,5 +3,6 @@ def add(a, b):",
        " context three",
        "-removed four",
        "+added four",
        "+added five",
        " context six",
        " context seven",
        "\\ No newline at end of file",
        "@@ -20,2 +21,1 @@",
        "-gone",
        " kept twenty-one",
    ]
)


def test_added_and_context_lines_of_every_hunk_take_comments_removed_ones_do_not() -> None:
    lines = commentable_lines(DiffFile("a.py", None, "modified", PATCH))
    assert lines == {3, 4, 5, 6, 7, 21}


def test_a_file_without_a_patch_takes_no_comment() -> None:
    assert commentable_lines(DiffFile("logo.png", None, "added", "")) == frozenset()


def test_drafts_refuse_two_comments_on_one_line_and_bad_lines() -> None:
    with pytest.raises(InvalidInput):
        ReviewDraft("s", (ReviewComment("a", 1, "x"), ReviewComment("a", 1, "y")))
    with pytest.raises(InvalidInput):
        ReviewComment("a", 0, "x")
    with pytest.raises(InvalidInput):
        DiffFile("a", None, "copied", "")


def test_markers_are_added_once_and_ignored_when_bodies_are_compared() -> None:
    marked = with_review_marker(f"Fix it {REVIEW_MARKER}")
    assert marked == f"Fix it\n\n{REVIEW_MARKER}" and marked.count(REVIEW_MARKER) == 1
    assert with_review_marker("S", summary=True) == f"S\n\n{SUMMARY_MARKER}"
    assert strip_review_marker(marked) == "Fix it"


def test_the_plan_keeps_updates_removes_and_creates_by_path_and_line() -> None:
    posted = [
        PostedComment("1", "a.py", 3, with_review_marker("same")),
        PostedComment("2", "a.py", 4, with_review_marker("old")),
        PostedComment("3", "a.py", 5, with_review_marker("stale")),
        PostedComment("4", "a.py", 3, with_review_marker("duplicate of 1")),
    ]
    draft = ReviewDraft(
        "s",
        (
            ReviewComment("a.py", 3, "same"),
            ReviewComment("a.py", 4, "new"),
            ReviewComment("b.py", 1, "fresh"),
        ),
    )
    plan = plan_review_sync(posted, draft)
    assert [c.id for c in plan.keep] == ["1"]
    assert [(old.id, new.body) for old, new in plan.update] == [("2", "new")]
    assert [c.id for c in plan.remove] == ["3", "4"]
    assert plan.create == (ReviewComment("b.py", 1, "fresh"),)


def test_the_fake_converges_on_the_draft_and_leaves_humans_alone() -> None:
    scm = FakeScm("acme")
    scm.diffs["7"] = PullRequestDiff("7", "t", "d", "b", "h", "b", ())
    human = PostedComment("h1", "a.py", 3, f"me {REVIEW_MARKER}")
    scm.review_comments["7"] = [("bob", human)]
    first = ReviewDraft("one", (ReviewComment("a.py", 3, "x"), ReviewComment("a.py", 4, "y")))
    assert scm.publish_review("acme", "7", first).created == 2
    second = ReviewDraft("two", (ReviewComment("a.py", 3, "x2"),))
    result = scm.publish_review("acme", "7", second)
    assert (result.created, result.updated, result.removed) == (0, 1, 1)
    bodies = {(c.path, c.line, a == "bob"): c.body for a, c in scm.review_comments["7"]}
    assert bodies[("a.py", 3, True)] == human.body
    assert bodies[("a.py", 3, False)] == with_review_marker("x2")
    assert len(bodies) == 2
    assert scm.summaries["7"] == with_review_marker("two", summary=True)
    with pytest.raises(ScmNotFound):
        scm.pull_request_diff("acme", "8")
    with pytest.raises(PermissionDenied):
        scm.publish_review("other", "7", second)


def test_resolved_comments_the_draft_repeats_are_named_and_nothing_else_is() -> None:
    posted = [
        PostedComment("1", "a.py", 3, with_review_marker("x"), resolved=True),
        PostedComment("2", "a.py", 4, with_review_marker("y"), resolved=True),
        PostedComment("3", "a.py", 5, with_review_marker("z")),
        PostedComment("4", "b.py", 1, with_review_marker("gone"), resolved=True),
    ]
    draft = ReviewDraft(
        "S",
        (
            ReviewComment("a.py", 4, "y, reworded"),
            ReviewComment("a.py", 3, "x"),
            ReviewComment("a.py", 5, "z"),
        ),
    )
    plan = plan_review_sync(posted, draft)
    assert [c.id for c in plan.kept_resolved] == ["1", "2"]  # b.py is removed, not repeated
    assert plan.summary("S") == (
        "S\n\nStill found, left resolved as they were resolved on this pull request before:"
        " `a.py` line 3, `a.py` line 4."
    )
    assert plan_review_sync(posted[2:3], draft).summary("S") == "S"
