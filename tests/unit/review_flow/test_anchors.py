"""The model's review, read defensively and anchored: comments on commentable lines stay
inline, the rest move into the summary (and say why); the prompt numbers the new-side lines."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidInput
from shared.domain.review import DiffFile, PullRequestDiff
from shared.services.review_flow.anchors import (
    MAX_COMMENTS,
    anchor_review,
    commentable_map,
    parse_review,
)
from shared.services.review_flow.prompt import numbered_patch, render_diff

PATCH = "@@ -1,3 +1,4 @@\n a = 1\n-b = 2\n+b = 3\n+c = 4\n d = 5"
DIFF = PullRequestDiff(
    "7",
    "t",
    "d",
    "base",
    "head",
    "base",
    (
        DiffFile("src/x.py", None, "modified", PATCH),
        DiffFile("logo.png", None, "added", ""),
    ),
)


def test_the_json_is_found_amid_prose_and_fences_and_bad_entries_are_skipped() -> None:
    answer = (
        "Sure!\n```json\n"
        '{"summary": " Looks risky. ", "comments": ['
        '{"path": "/src/x.py", "line": 2, "body": "b?", "severity": "high"},'
        '{"path": "src/x.py", "line": "3", "body": "not an int"},'
        '{"path": "src/x.py", "line": true, "body": "a bool"},'
        '{"path": "src/x.py", "line": 3, "body": "  "},'
        '"text", {"path": "src/x.py", "line": 3, "body": "c!", "severity": "weird"}]}\n```'
    )
    review = parse_review(answer)
    assert review.summary == "Looks risky."
    assert [(c.path, c.line, c.body) for c in review.comments] == [
        ("src/x.py", 2, "**high**: b?"),
        ("src/x.py", 3, "c!"),
    ]


def test_an_answer_without_a_json_object_is_refused_and_counts_are_bounded() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_review("I think it is fine.")
    assert refused.value.code == "review-unparsable"
    many = ",".join('{"path": "a", "line": 1, "body": "x"}' for _ in range(MAX_COMMENTS + 5))
    assert len(parse_review('{"comments": [' + many + "]}").comments) == MAX_COMMENTS
    assert parse_review('{"comments": []}').summary == "No summary was given."


def test_out_of_diff_comments_move_to_the_summary_and_same_line_ones_are_joined() -> None:
    answer = (
        '{"summary": "S", "comments": ['
        '{"path": "src/x.py", "line": 2, "body": "one"},'
        '{"path": "src/x.py", "line": 2, "body": "two"},'
        '{"path": "src/x.py", "line": 9, "body": "far away"},'
        '{"path": "logo.png", "line": 1, "body": "binary"},'
        '{"path": "other.py", "line": 1, "body": "elsewhere"}]}'
    )
    anchored = anchor_review(parse_review(answer), commentable_map(DIFF))
    assert [(c.path, c.line, c.body) for c in anchored.draft.comments] == [
        ("src/x.py", 2, "one\n\ntwo")
    ]
    assert anchored.lineage()["moved_to_summary"] == [
        {"path": "src/x.py", "line": 9, "reason": "line-not-in-diff"},
        {"path": "logo.png", "line": 1, "reason": "file-not-in-diff"},
        {"path": "other.py", "line": 1, "reason": "file-not-in-diff"},
    ]
    assert anchored.draft.summary.startswith("S\n\n**Outside the diff's lines:**")
    assert "- `src/x.py` line 9: far away" in anchored.draft.summary


def test_the_prompt_numbers_new_side_lines_only_and_keeps_to_its_budget() -> None:
    assert numbered_patch(DIFF.files[0]).splitlines() == [
        "@@ -1,3 +1,4 @@",
        "    1  a = 1",
        "      -b = 2",
        "    2 +b = 3",
        "    3 +c = 4",
        "    4  d = 5",
    ]
    text, left_out = render_diff(DIFF, 10_000)
    assert "### src/x.py (modified)" in text and left_out == []
    assert "### logo.png (added)\n(no textual diff: binary or too large)" in text
    small, left_out = render_diff(DIFF, 20)
    assert left_out == ["src/x.py"] and "over the size budget: src/x.py" in small
