"""gather_review and publish_review on the FakeScm: the diff within its budget, what the model
said anchored and posted, and a pull request that moved since its diff was read gets nothing
posted (its line numbers would mean other code)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.errors import ScmConflict
from shared.domain.review import DiffFile, PullRequestDiff, with_review_marker
from shared.ports.scm import Scm
from shared.ports.scm.fake import FakeScm
from shared.services.review_flow.anchors import commentable_map
from shared.services.review_flow.steps import gather_review, publish_review

PATCH = "@@ -1,2 +1,3 @@\n a = 1\n+b = 2\n c = 3"
ANSWER = (
    '{"summary": "S", "comments": [{"path": "x.py", "line": 2, "body": "why b?"},'
    ' {"path": "x.py", "line": 40, "body": "far"}]}'
)


class Deps:
    """What publish_review uses of ``PatchFlowDeps``: the SCM and the recorder."""

    def __init__(self, scm: Scm) -> None:
        self._scm = scm
        self.records: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []

    def scm(self, task: dict[str, Any]) -> Scm:
        return self._scm

    def record(self, task: dict[str, Any], kind: str, data: dict[str, Any], **kw: Any) -> None:
        self.records.append((kind, data, kw.get("lineage")))


def _world(head: str) -> tuple[FakeScm, Deps, dict[str, Any]]:
    fake = FakeScm("acme")
    diff = PullRequestDiff(
        "7", "t", "d", "b", head, "b", (DiffFile("x.py", None, "modified", PATCH),)
    )
    fake.diffs["7"] = diff
    gathered = {"head_sha": "h1", "commentable": commentable_map(diff)}
    return fake, Deps(fake.as_scm()), gathered


def test_the_anchored_review_is_posted_and_recorded() -> None:
    fake, deps, gathered = _world("h1")
    task = {"tenant": "acme", "source_id": "7"}
    result = publish_review(deps, task, gathered, {"answer": ANSWER, "llm": {"scripted": True}})
    assert (result["created"], result["inline"]) == (1, 1)
    assert [(c.path, c.line, c.body) for _, c in fake.review_comments["7"]] == [
        ("x.py", 2, with_review_marker("why b?"))
    ]
    assert "- `x.py` line 40: far" in fake.summaries["7"]
    [(kind, data, lineage)] = deps.records
    assert (kind, data["created"], data["moved_to_summary"]) == ("review.published", 1, 1)
    assert lineage["code_review_published"]["moved_to_summary"] == [
        {"path": "x.py", "line": 40, "reason": "line-not-in-diff"}
    ]


def test_a_pull_request_that_moved_since_it_was_read_gets_nothing_posted() -> None:
    fake, deps, gathered = _world("h2")
    with pytest.raises(ScmConflict) as moved:
        publish_review(deps, {"tenant": "acme", "source_id": "7"}, gathered, {"answer": ANSWER})
    assert moved.value.code == "pull-request-moved" and not moved.value.retryable
    assert fake.review_comments == {} and fake.summaries == {} and deps.records == []


def test_gather_shows_what_fits_and_only_shown_files_take_comments() -> None:
    fake = FakeScm("acme", branches={"h1": {"x.py": b"a = 1\nb = 2\nc = 3\n", "y.py": b"z\n"}})
    big = "@@ -1,1 +1,400 @@\n" + "\n".join(f"+line {n}" for n in range(400))
    fake.diffs["7"] = PullRequestDiff(
        "7",
        "Add b",
        "why",
        "b",
        "h1",
        "b",
        (DiffFile("x.py", None, "modified", PATCH), DiffFile("y.py", None, "modified", big)),
    )
    deps = Deps(fake.as_scm())
    task = {"tenant": "acme", "source_id": "7", "instruction": ""}
    gathered = gather_review(deps, task, {"context_budget_tokens": 1000})
    assert gathered["commentable"] == {"x.py": [1, 2, 3]}  # y.py was over the diff's budget
    assert "### x.py (modified)" in gathered["diff"] and "+line 399" not in gathered["diff"]
    assert "over the size budget: y.py" in gathered["diff"]
    [(kind, data, lineage)] = deps.records
    assert (kind, data["diff_left_out"], data["head_sha"]) == ("review.gathered", ["y.py"], "h1")
    assert lineage["commit"] == "h1"
