"""Every kind of damage LLMs do to unified diffs, each recovered to the exact intended file."""

from __future__ import annotations

from shared.patching import ApplyRefusal, ApplyResult, apply_edits, parse_edits

ORIGINAL = """\
import os
import sys


def load(path):
    with open(path) as handle:
        return handle.read()


def save(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def main():
    data = load(sys.argv[1])
    save(sys.argv[2], data.upper())
    return 0
"""

EXPECTED = ORIGINAL.replace(
    "        return handle.read()\n",
    "        text = handle.read()\n    return text.strip()\n",
).replace(
    "    save(sys.argv[2], data.upper())\n",
    "    save(sys.argv[2], data.lower())\n    print('done')\n",
)

CLEAN = """\
diff --git a/tool.py b/tool.py
index 1111111..2222222 100644
--- a/tool.py
+++ b/tool.py
@@ -4,7 +4,8 @@ import sys
 
 def load(path):
     with open(path) as handle:
-        return handle.read()
+        text = handle.read()
+    return text.strip()
 
 
 def save(path, text):
@@ -14,6 +15,7 @@ def save(path, text):
 
 def main():
     data = load(sys.argv[1])
-    save(sys.argv[2], data.upper())
+    save(sys.argv[2], data.lower())
+    print('done')
     return 0
"""  # noqa: W293 (blank context lines are a single space)


def applied(diff: str, original: str = ORIGINAL) -> str | None:
    outcome = apply_edits({"tool.py": original}, parse_edits(diff))
    assert isinstance(outcome, ApplyResult), outcome.to_feedback()
    return outcome.files["tool.py"]


def test_clean_git_diff_applies_exactly() -> None:
    assert applied(CLEAN) == EXPECTED


def test_wrong_hunk_line_numbers_are_ignored() -> None:
    damaged = CLEAN.replace("@@ -4,7 +4,8 @@", "@@ -40,7 +41,8 @@").replace(
        "@@ -14,6 +15,7 @@", "@@ -2,6 +3,7 @@"
    )
    assert applied(damaged) == EXPECTED


def test_wrong_hunk_counts_are_recounted() -> None:
    damaged = CLEAN.replace("@@ -4,7 +4,8 @@", "@@ -4,9 +4,3 @@").replace(
        "@@ -14,6 +15,7 @@", "@@ -14,2 +15,12 @@"
    )
    assert applied(damaged) == EXPECTED


def test_hunk_headers_without_numbers_are_placed_by_content() -> None:
    damaged = CLEAN.replace("@@ -4,7 +4,8 @@ import sys", "@@ @@").replace(
        "@@ -14,6 +15,7 @@ def save(path, text):", "@@ ... @@"
    )
    assert applied(damaged) == EXPECTED


def test_missing_a_b_prefixes_and_git_header() -> None:
    damaged = CLEAN.split("index 1111111..2222222 100644\n", 1)[1]
    damaged = damaged.replace("--- a/tool.py", "--- tool.py").replace(
        "+++ b/tool.py", "+++ tool.py"
    )
    assert applied(damaged) == EXPECTED


def test_file_headers_with_timestamps_and_prose_suffix() -> None:
    damaged = CLEAN.split("index 1111111..2222222 100644\n", 1)[1]
    damaged = damaged.replace("--- a/tool.py", "--- tool.py\t2024-01-01 10:00:00").replace(
        "+++ b/tool.py", "+++ tool.py (modified)"
    )
    assert applied(damaged) == EXPECTED


def test_diff_without_any_file_header_goes_to_the_one_file_it_fits() -> None:
    bare = CLEAN.split("+++ b/tool.py\n", 1)[1]
    other = "def unrelated():\n    pass\n"
    outcome = apply_edits({"tool.py": ORIGINAL, "other.py": other}, parse_edits(bare))
    assert isinstance(outcome, ApplyResult)
    assert outcome.files == {"tool.py": EXPECTED}


def test_body_without_hunk_header_line() -> None:
    damaged = "--- a/tool.py\n+++ b/tool.py\n" + "\n".join(
        line for line in CLEAN.split("\n@@ -14", 1)[0].split("\n")[5:]
    )
    expected_first_only = ORIGINAL.replace(
        "        return handle.read()\n", "        text = handle.read()\n    return text.strip()\n"
    )
    assert applied(damaged + "\n") == expected_first_only


def test_context_with_changed_whitespace() -> None:
    damaged = (
        CLEAN.replace(" def load(path):", " def  load( path ):")
        .replace("     with open(path) as handle:\n-", "     with open(path) as handle:   \n-")
        .replace("     data = load(sys.argv[1])", "     data =  load(sys.argv[1])\t")
    )
    assert applied(damaged) == EXPECTED


def test_blank_context_lines_that_lost_their_space() -> None:
    damaged = "\n".join("" if line == " " else line for line in CLEAN.split("\n"))
    assert applied(damaged) == EXPECTED


def test_hunk_dedented_as_a_whole_is_reindented() -> None:
    dedented = """\
--- a/tool.py
+++ b/tool.py
@@ -6,2 +6,3 @@
 with open(path) as handle:
-    return handle.read()
+    text = handle.read()
+return text.strip()
"""
    expected = ORIGINAL.replace(
        "        return handle.read()\n", "        text = handle.read()\n    return text.strip()\n"
    )
    assert applied(dedented) == expected


def test_tabs_written_as_spaces_keep_the_files_tabs() -> None:
    original = "def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n"
    diff = (
        "--- a/tool.py\n+++ b/tool.py\n@@ -1,4 +1,5 @@\n def f():\n     if x:\n"
        "         return 1\n+    log()\n     return 2\n"
    )
    assert applied(diff, original) == "def f():\n\tif x:\n\t\treturn 1\n\tlog()\n\treturn 2\n"


def test_truncated_context_fewer_lines_than_the_header_says() -> None:
    damaged = CLEAN.replace(" \n \n def save(path, text):\n", "").replace("     return 0\n", "")
    assert applied(damaged) == EXPECTED


def test_last_context_line_cut_short() -> None:
    damaged = CLEAN.replace(" def save(path, text):\n", " def save(pa...\n")
    assert applied(damaged) == EXPECTED


def test_markdown_fences_and_prose_around_the_diff() -> None:
    answer = f"Sure! Here is the change you asked for:\n\n```diff\n{CLEAN}```\n\nIt strips text."
    assert applied(answer) == EXPECTED


def test_diff_split_over_two_fenced_blocks() -> None:
    first, second = CLEAN.split("@@ -14", 1)
    second_block = f"--- a/tool.py\n+++ b/tool.py\n@@ -14{second}"
    answer = f"First:\n```diff\n{first}```\nThen:\n```\n{second_block}```\n"
    assert applied(answer) == EXPECTED


def test_crlf_diff_on_lf_file_keeps_lf() -> None:
    assert applied(CLEAN.replace("\n", "\r\n")) == EXPECTED


def test_lf_diff_on_crlf_file_keeps_crlf() -> None:
    assert applied(CLEAN, ORIGINAL.replace("\n", "\r\n")) == EXPECTED.replace("\n", "\r\n")


def test_hunks_out_of_order_still_apply() -> None:
    header, first, second = CLEAN.split("@@ -", 2)[0], *CLEAN.split("@@ -")[1:]
    swapped = header + "@@ -" + second.rstrip("\n") + "\n@@ -" + first
    assert applied(swapped) == EXPECTED


def test_combined_damage_typical_of_an_llm_answer() -> None:
    damaged = CLEAN.split("index 1111111..2222222 100644\n", 1)[1]
    damaged = damaged.replace("a/tool.py", "tool.py").replace("b/tool.py", "tool.py")
    damaged = damaged.replace("@@ -4,7 +4,8 @@", "@@ -1,5 +1,6 @@").replace(
        "@@ -14,6 +15,7 @@", "@@ -20,4 +21,5 @@"
    )
    damaged = "\n".join(
        line.rstrip() if line.startswith(" ") else line for line in damaged.split("\n")
    )
    answer = "Here you go:\r\n```diff\r\n" + damaged.replace("\n", "\r\n") + "```\r\nDone."
    assert applied(answer) == EXPECTED


def test_fuzzy_context_with_one_wrong_line_is_placed_when_unique() -> None:
    damaged = CLEAN.replace(" def load(path):", " def load(filename):")
    assert applied(damaged) == EXPECTED


def test_stale_removed_line_is_refused_with_the_real_lines() -> None:
    damaged = CLEAN.replace("-    save(sys.argv[2], data.upper())", "-    write(out, data)")
    outcome = apply_edits({"tool.py": ORIGINAL}, parse_edits(damaged))
    assert isinstance(outcome, ApplyRefusal)
    [failure] = outcome.failures
    assert (failure.path, failure.hunk, failure.reason.value) == ("tool.py", 1, "not-found")
    feedback = outcome.to_feedback()
    assert "hunk 2" in feedback
    assert "save(sys.argv[2], data.upper())" in feedback
