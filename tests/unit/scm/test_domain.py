"""The SCM domain rules: markers, branch and path names, change sets, skip reasons."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidInput
from shared.domain.scm import (
    ChangeSet,
    FileChange,
    FileContent,
    PullRequestDraft,
    ReadLimits,
    SkipReason,
    agent_branch,
    comment_marker,
    marker_task_id,
    skip_reason,
    validate_branch,
    with_marker,
)


def test_the_agent_branch_is_derived_from_the_task_id_only() -> None:
    assert agent_branch("7f3a-01") == "agent/7f3a-01" == agent_branch("7f3a-01")
    with pytest.raises(InvalidInput):
        agent_branch("../main")


def test_a_marked_body_carries_exactly_one_marker_of_its_task() -> None:
    once = with_marker("Opened PR", "t-1")
    again = with_marker(once.replace("Opened", "Updated"), "t-1")

    assert once == "Opened PR\n\n<!-- ai-code-agent:task=t-1 -->"
    assert again.count("ai-code-agent:task=") == 1 and again.startswith("Updated PR")
    assert marker_task_id(again) == "t-1"
    assert marker_task_id("no marker here") is None
    assert with_marker("", "t-1") == comment_marker("t-1")


@pytest.mark.parametrize("path", ["/etc/passwd", "a/../b", "./a", "a//b", ".git/config", "", "a/"])
def test_paths_outside_the_repository_tree_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput):
        FileChange(path, "x")


@pytest.mark.parametrize("name", ["main", "agent/t-1", "release/1.2", "feature_x"])
def test_usual_branch_names_are_accepted(name: str) -> None:
    assert validate_branch(name) == name


@pytest.mark.parametrize(
    "name", ["", "-x", "a..b", "a//b", "/a", "a/", "x.lock", "a b", "a@{1}", "a~1"]
)
def test_unsafe_branch_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_branch(name)


def test_a_change_set_needs_changes_and_distinct_paths() -> None:
    with pytest.raises(InvalidInput):
        ChangeSet("agent/t", "main", "m", ())
    with pytest.raises(InvalidInput):
        ChangeSet("agent/t", "main", "m", (FileChange("a", "1"), FileChange("a", None)))


def test_a_change_set_matches_a_branch_only_with_the_same_content_at_its_paths() -> None:
    change = ChangeSet(
        "agent/t", "main", "m", (FileChange("a.py", "new"), FileChange("b.py", None))
    )

    assert change.matches({"a.py": "new", "b.py": None})
    assert not change.matches({"a.py": "old", "b.py": None})
    assert not change.matches({"a.py": "new", "b.py": "still here"})


def test_files_are_skipped_for_size_before_content_and_for_nul_bytes() -> None:
    limits = ReadLimits(max_file_bytes=10)
    assert skip_reason(11, None, limits) is SkipReason.TOO_LARGE
    assert skip_reason(5, b"ab\x00cd", limits) is SkipReason.BINARY
    assert skip_reason(5, b"abcde", limits) is None
    assert skip_reason(None, None, limits) is None
    late_nul = b"a" * 8192 + b"\x00"
    assert skip_reason(len(late_nul), late_nul, ReadLimits()) is None  # only the first 8 KiB


def test_file_content_keeps_only_utf8_text() -> None:
    limits = ReadLimits()
    assert FileContent.from_bytes("a", "s", "héllo".encode(), limits).text == "héllo"
    latin = FileContent.from_bytes("a", "s", "héllo".encode("latin-1"), limits)
    assert (latin.text, latin.skipped) == (None, SkipReason.NOT_UTF8)
    binary = FileContent.from_bytes("a", "s", b"\x00\x01", limits)
    assert (binary.text, binary.skipped, binary.size) == (None, SkipReason.BINARY, 2)


def test_a_pull_request_draft_needs_valid_branches_and_a_title() -> None:
    assert PullRequestDraft("agent/t", "main", "Fix", "").draft is False
    for branch, base, title in [
        ("agent/../x", "main", "t"),
        ("agent/t", "", "t"),
        ("agent/t", "main", " "),
    ]:
        with pytest.raises(InvalidInput):
            PullRequestDraft(branch, base, title, "")
