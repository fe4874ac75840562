"""Unified diffs that create, delete, rename files, span several files, or touch final newlines."""

from __future__ import annotations

import pytest

from shared.domain.errors import PatchRejected
from shared.patching import (
    ApplyRefusal,
    ApplyResult,
    EditKind,
    FailureReason,
    apply_edits,
    parse_edits,
)


def apply_ok(snapshot: dict[str, str], diff: str) -> ApplyResult:
    outcome = apply_edits(snapshot, parse_edits(diff))
    assert isinstance(outcome, ApplyResult), outcome.to_feedback()
    return outcome


def test_multi_file_git_diff_with_new_deleted_and_renamed_files() -> None:
    snapshot = {"keep.py": "a = 1\nb = 2\n", "old.py": "gone\n", "src/before.py": "x = 1\ny = 2\n"}
    diff = """\
diff --git a/keep.py b/keep.py
index 1..2 100644
--- a/keep.py
+++ b/keep.py
@@ -1,2 +1,2 @@
 a = 1
-b = 2
+b = 3
diff --git a/new.py b/new.py
new file mode 100644
index 0000000..3
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+print("hello")
+print("world")
diff --git a/old.py b/old.py
deleted file mode 100644
index 4..0000000
--- a/old.py
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git a/src/before.py b/src/after.py
similarity index 60%
rename from src/before.py
rename to src/after.py
index 5..6 100644
--- a/src/before.py
+++ b/src/after.py
@@ -1,2 +1,2 @@
 x = 1
-y = 2
+y = 20
"""
    edits = parse_edits(diff)
    assert [edit.kind for edit in edits] == [
        EditKind.MODIFY,
        EditKind.CREATE,
        EditKind.DELETE,
        EditKind.RENAME,
    ]
    outcome = apply_ok(snapshot, diff)
    assert outcome.files == {
        "keep.py": "a = 1\nb = 3\n",
        "new.py": 'print("hello")\nprint("world")\n',
        "old.py": None,
        "src/before.py": None,
        "src/after.py": "x = 1\ny = 20\n",
    }
    assert (outcome.files_changed, outcome.lines_added, outcome.lines_removed) == (4, 4, 3)


def test_pure_rename_without_hunks() -> None:
    diff = "diff --git a/a.txt b/b.txt\nsimilarity index 100%\nrename from a.txt\nrename to b.txt\n"
    assert apply_ok({"a.txt": "same\n"}, diff).files == {"a.txt": None, "b.txt": "same\n"}


def test_plain_diff_creating_a_file_without_dev_null() -> None:
    diff = "--- a/docs/new.md\n+++ b/docs/new.md\n@@ -0,0 +1,2 @@\n+# Title\n+text\n"
    assert apply_ok({}, diff).files == {"docs/new.md": "# Title\ntext\n"}


def test_deletion_whose_lines_are_not_the_file_is_refused() -> None:
    diff = "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-something else\n"
    outcome = apply_edits({"old.py": "gone\n"}, parse_edits(diff))
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.DELETE_MISMATCH


def test_creating_an_existing_file_is_refused() -> None:
    diff = "--- /dev/null\n+++ b/a.py\n@@ -0,0 +1 @@\n+x\n"
    outcome = apply_edits({"a.py": "y\n"}, parse_edits(diff))
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.FILE_EXISTS


def test_modifying_a_missing_file_is_refused() -> None:
    diff = "--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n"
    outcome = apply_edits({"a.py": "x\n"}, parse_edits(diff))
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.FILE_MISSING


def test_no_newline_markers_adding_the_final_newline() -> None:
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    assert apply_ok({"f.txt": "a\nb"}, diff).files["f.txt"] == "a\nb\n"


def test_no_newline_markers_removing_the_final_newline() -> None:
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"
    assert apply_ok({"f.txt": "a\nb\n"}, diff).files["f.txt"] == "a\nc"


def test_file_without_final_newline_keeps_it_when_markers_are_missing() -> None:
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    assert apply_ok({"f.txt": "a\nb"}, diff).files["f.txt"] == "a\nc"


def test_new_file_without_final_newline() -> None:
    diff = "--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+only\n\\ No newline at end of file\n"
    assert apply_ok({}, diff).files == {"f.txt": "only"}


def test_counted_hunk_body_with_lines_that_look_like_headers() -> None:
    text = "-- a\n++ b\nkeep\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n--- a\n+++ b\n-++ b\n+++ c\n keep\n"
    assert apply_ok({"f.txt": text}, diff).files["f.txt"] == "++ b\n++ c\nkeep\n"


def test_quoted_git_file_names() -> None:
    diff = (
        'diff --git "a/caf\\303\\251 menu.txt" "b/caf\\303\\251 menu.txt"\n'
        '--- "a/caf\\303\\251 menu.txt"\n+++ "b/caf\\303\\251 menu.txt"\n'
        "@@ -1 +1 @@\n-tea\n+coffee\n"
    )
    assert apply_ok({"café menu.txt": "tea\n"}, diff).files == {"café menu.txt": "coffee\n"}


def test_answer_without_any_edit_is_rejected_with_instructions() -> None:
    with pytest.raises(PatchRejected) as caught:
        parse_edits("I think you should change the loop.", "udiff")
    assert caught.value.code == "no-edit-found"
    assert "@@ -l,s +l,s @@" in caught.value.message


def test_normalised_diff_of_the_result_reads_back_to_the_same_files() -> None:
    snapshot = {"a.py": "a\r\nb\r\nc\r\n", "b.txt": "x\ny"}
    diff = (
        "--- a/a.py\n+++ b/a.py\n@@ -2 +2,2 @@\n-b\n+B\n+B2\n"
        "--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n"
    )
    first = apply_ok(snapshot, diff)
    again = apply_ok(snapshot, first.diff)
    assert again.files == first.files == {"a.py": "a\r\nB\r\nB2\r\nc\r\n", "b.txt": "x\nz"}
    assert again.diff == first.diff
