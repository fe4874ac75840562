"""Tabs for spaces and spaces for tabs: matched on normalised indentation, written in the file's
style, refused only where the mapping is ambiguous."""

from __future__ import annotations

import pytest

from shared.patching import ApplyRefusal, ApplyResult, FailureReason, apply_edits, parse_edits

SPACES = """\
class Store:
    def load(self, key):
        value = self.cache.get(key)
        if value is None:
            value = self.fetch(key)
        return value

    def save(self, key, value):
        self.cache[key] = value
"""
EXPECTED = SPACES.replace(
    "            value = self.fetch(key)\n",
    "            value = self.fetch(key)\n            self.cache[key] = value\n",
)
TABS = SPACES.replace("    ", "\t")
TABS_EXPECTED = EXPECTED.replace("    ", "\t")


def diff(context: str, added: str) -> str:
    """The one-line insertion, context lines indented one way, the added line another."""
    lines = [
        f" {context}def load(self, key):",
        f" {context * 2}value = self.cache.get(key)",
        f" {context * 2}if value is None:",
        f" {context * 3}value = self.fetch(key)",
        f"+{added * 3}self.cache[key] = value",
        f" {context * 2}return value",
    ]
    return "--- a/store.py\n+++ b/store.py\n@@ -2,5 +2,6 @@\n" + "\n".join(lines) + "\n"


def applied(text: str, answer: str) -> str | None:
    outcome = apply_edits({"store.py": text}, parse_edits(answer))
    assert isinstance(outcome, ApplyResult), outcome.to_feedback()
    return outcome.files["store.py"]


@pytest.mark.parametrize(
    ("file", "context", "added", "expected"),
    [
        (SPACES, "\t", "    ", EXPECTED),  # tab context, added line already in the file's style
        (SPACES, "\t", "\t", EXPECTED),  # the whole hunk in tabs: the added line converted
        (TABS, "    ", "\t", TABS_EXPECTED),  # the reverse, in a tab-indented file
        (TABS, "    ", "    ", TABS_EXPECTED),
        (SPACES, "  ", "  ", EXPECTED),  # a 2-space hunk in a 4-space file: dedent rule
    ],
    ids=["tab-context", "tab-hunk", "space-context", "space-hunk", "half-width"],
)
def test_context_in_the_other_style_applies_in_the_files_style(
    file: str, context: str, added: str, expected: str
) -> None:
    assert applied(file, diff(context, added)) == expected


def test_a_tab_indented_insertion_without_indented_context_gets_the_files_levels() -> None:
    answer = (
        "--- a/store.py\n+++ b/store.py\n@@ -1,2 +1,4 @@\n class Store:\n"
        "+\tdef clear(self):\n+\t\tself.cache.clear()\n+\n     def load(self, key):\n"
    )
    result = applied(SPACES, answer)
    assert result is not None
    assert "    def clear(self):\n        self.cache.clear()\n\n    def load" in result


def test_a_tab_inside_a_spaces_file_is_kept_when_the_file_already_mixes() -> None:
    mixed = SPACES + 'TABLE = """\n\tkey\tvalue\n"""\n'
    answer = "--- a/store.py\n+++ b/store.py\n@@ -11 +11,2 @@\n \tkey\tvalue\n+\tother\t1\n"
    assert applied(mixed, answer) == mixed.replace("\tkey\tvalue\n", "\tkey\tvalue\n\tother\t1\n")


@pytest.mark.parametrize(
    "answer",
    [
        # Added lines mixing tabs and spaces, with no indented context to map them by.
        "--- a/store.py\n+++ b/store.py\n@@ -1,2 +1,4 @@\n class Store:\n"
        "+\tdef clear(self):\n+        self.cache.clear()\n+\n     def load(self, key):\n",
        # Context lines a tab apart in the diff, 4 and 12 columns apart in the file.
        "--- a/store.py\n+++ b/store.py\n@@ -2,4 +2,5 @@\n \tdef load(self, key):\n"
        " \t\tvalue = self.cache.get(key)\n \t\tif value is None:\n"
        " \t\tvalue = self.fetch(key)\n+\t\t\tx = 1\n",
    ],
    ids=["mixed-added-lines", "inconsistent-widths"],
)
def test_an_ambiguous_mapping_is_refused(answer: str) -> None:
    outcome = apply_edits({"store.py": SPACES}, parse_edits(answer))
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.INDENTATION
