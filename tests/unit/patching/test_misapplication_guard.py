"""Edits that cannot be placed with certainty are refused, never guessed."""

from __future__ import annotations

from shared.patching import (
    ApplyRefusal,
    ApplyResult,
    EditKind,
    FailureReason,
    FileEdit,
    apply_edits,
    parse_edits,
)
from shared.patching.search_replace import block_hunk

REPEATED = """\
def first():
    value = compute()
    return value


def second():
    value = compute()
    return value
"""


def refusal(snapshot: dict[str, str], text: str) -> ApplyRefusal:
    outcome = apply_edits(snapshot, parse_edits(text))
    assert isinstance(outcome, ApplyRefusal), outcome
    return outcome


def test_search_block_found_twice_is_refused_as_ambiguous() -> None:
    answer = (
        "app.py\n<<<<<<< SEARCH\n    value = compute()\n    return value\n=======\n"
        "    return compute()\n>>>>>>> REPLACE\n"
    )
    outcome = refusal({"app.py": REPEATED}, answer)
    [failure] = outcome.failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert [candidate.start for candidate in failure.candidates] == [2, 7]
    assert "2 places" in failure.message


def test_diff_with_damaged_numbers_and_context_found_twice_is_refused() -> None:
    diff = (
        "--- a/app.py\n+++ b/app.py\n@@ -6,2 +6,2 @@\n     value = compute()\n"
        "-    return value\n+    return value + 1\n"
    )  # the header says line 6, but the block is at lines 2 and 7, and its counts are wrong
    outcome = refusal({"app.py": REPEATED}, diff)
    assert outcome.failures[0].reason is FailureReason.AMBIGUOUS


def test_clean_diff_with_context_found_twice_uses_its_consistent_header() -> None:
    diff = (
        "--- a/app.py\n+++ b/app.py\n@@ -7,2 +7,2 @@ def second():\n     value = compute()\n"
        "-    return value\n+    return value + 1\n"
    )
    outcome = apply_edits({"app.py": REPEATED}, parse_edits(diff))
    assert isinstance(outcome, ApplyResult)
    assert outcome.files["app.py"] == REPEATED[: REPEATED.rindex("return value")] + (
        "return value + 1\n"
    )


def test_block_matching_exactly_once_and_once_more_modulo_indentation_is_refused() -> None:
    text = "if a:\n    x = 1\n    y = 2\nx = 1\ny = 2\n"
    answer = "f.py\n<<<<<<< SEARCH\nx = 1\ny = 2\n=======\nx = 3\ny = 2\n>>>>>>> REPLACE\n"
    outcome = refusal({"f.py": text}, answer)
    assert outcome.failures[0].reason is FailureReason.AMBIGUOUS


def test_fuzzy_match_without_a_clear_winner_is_refused() -> None:
    text = "a = compute(1)\nb = compute(2)\nc = 3\n\na = compute(7)\nb = compute(8)\nc = 3\n"
    answer = (
        "f.py\n<<<<<<< SEARCH\na = compute(4)\nb = compute(5)\nc = 3\n=======\n"
        "a = compute(4)\nb = compute(5)\nc = 4\n>>>>>>> REPLACE\n"
    )
    outcome = refusal({"f.py": text}, answer)
    assert outcome.failures[0].reason is FailureReason.AMBIGUOUS
    assert len(outcome.failures[0].candidates) == 2


def test_overlapping_hunks_that_change_the_same_line_are_refused() -> None:
    text = "one\ntwo\nthree\nfour\n"
    edit = FileEdit(
        EditKind.MODIFY,
        "f.txt",
        "f.txt",
        (block_hunk(["one", "two"], ["one", "2"]), block_hunk(["two", "three"], ["TWO", "three"])),
    )
    outcome = apply_edits({"f.txt": text}, [edit])
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.OVERLAP


def test_hunks_sharing_only_context_lines_both_apply() -> None:
    text = "one\ntwo\nthree\nfour\n"
    edit = FileEdit(
        EditKind.MODIFY,
        "f.txt",
        "f.txt",
        (block_hunk(["one", "two"], ["1", "two"]), block_hunk(["two", "three"], ["two", "3"])),
    )
    outcome = apply_edits({"f.txt": text}, [edit])
    assert isinstance(outcome, ApplyResult)
    assert outcome.files["f.txt"] == "1\ntwo\n3\nfour\n"


def test_two_insertions_at_the_same_point_are_refused() -> None:
    text = "a\nb\n"
    edit = FileEdit(
        EditKind.MODIFY,
        "f.txt",
        "f.txt",
        (block_hunk(["a"], ["a", "x"]), block_hunk(["b"], ["y", "b"])),
    )
    outcome = apply_edits({"f.txt": text}, [edit])
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.OVERLAP


def test_insertion_without_context_in_a_damaged_diff_is_refused() -> None:
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,0 +1,3 @@\n+new\n"
    outcome = refusal({"f.txt": "a\nb\n"}, diff)
    assert outcome.failures[0].reason is FailureReason.NO_CONTEXT


def test_insertion_without_context_in_a_consistent_diff_uses_the_line_number() -> None:
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,0 +2 @@\n+new\n"
    outcome = apply_edits({"f.txt": "a\nb\n"}, parse_edits(diff))
    assert isinstance(outcome, ApplyResult)
    assert outcome.files["f.txt"] == "a\nnew\nb\n"


def test_unnamed_edit_fitting_two_files_is_refused() -> None:
    answer = "<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n"
    outcome = refusal({"a.py": "x = 1\n", "b.py": "x = 1\n"}, answer)
    assert outcome.failures[0].reason is FailureReason.UNKNOWN_FILE
    assert "a.py, b.py" in outcome.failures[0].message


def test_one_failing_hunk_refuses_the_whole_edit() -> None:
    diff = (
        "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
        "--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-missing\n+B\n"
    )
    outcome = refusal({"a.txt": "a\n", "b.txt": "b\n"}, diff)
    assert [(f.path, f.reason) for f in outcome.failures] == [("b.txt", FailureReason.NOT_FOUND)]


def test_indentation_that_cannot_be_derived_is_refused() -> None:
    text = "def f():\n    if x:\n        a = 1\n    b = 2\n"
    # Both context lines at one indent in the edit, at two different indents in the file.
    answer = (
        "f.py\n<<<<<<< SEARCH\n  if x:\n  a = 1\n=======\n  if x:\n"
        "  a = 1\n  c = 3\n>>>>>>> REPLACE\n"
    )
    outcome = refusal({"f.py": text}, answer)
    assert outcome.failures[0].reason is FailureReason.INDENTATION


def test_unsafe_paths_are_refused() -> None:
    for path in ("../escape.py", "/etc/passwd", ".git/config", "a/../../b"):
        diff = f"--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+x\n"
        outcome = refusal({}, diff)
        assert outcome.failures[0].reason is FailureReason.UNSAFE_PATH, path


def test_binary_patch_is_refused() -> None:
    diff = (
        "diff --git a/logo.png b/logo.png\nindex 1..2 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
    )
    outcome = refusal({"logo.png": ""}, diff)
    assert outcome.failures[0].reason is FailureReason.UNSUPPORTED


def test_removed_line_that_differs_from_the_file_is_refused_even_when_the_place_is_clear() -> None:
    text = "def main():\n    setup()\n    return 1\n"
    diff = (
        "--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n"
        " def main():\n     setup()\n-    return 7\n+    return 8\n"
    )
    outcome = refusal({"f.py": text}, diff)
    assert outcome.failures[0].reason is FailureReason.NOT_FOUND
    assert "'    return 1'" in outcome.failures[0].message


def test_refusal_lists_every_failing_file_and_hunk() -> None:
    diff = (
        "--- a/missing.py\n+++ b/missing.py\n@@ -1 +1 @@\n-a\n+b\n"
        "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-nope\n+b\n"
    )
    outcome = refusal({"f.txt": "a\n"}, diff)
    assert [(f.path, f.reason) for f in outcome.failures] == [
        ("missing.py", FailureReason.FILE_MISSING),
        ("f.txt", FailureReason.NOT_FOUND),
    ]
