"""The old line GitLab needs on a comment at an unchanged line, read from the hunks."""

from __future__ import annotations

from shared.adapters.scm.gitlab.review import context_old_lines

PATCH = (
    "@@ -2,4 +2,5 @@\n"
    " two\n"  # new 2 = old 2
    "-three\n"
    "+three a\n"
    "+three b\n"
    "\n"  # an unchanged empty line whose leading space was lost: new 5 = old 4
    " five\n"  # new 6 = old 5
    "@@ -20,3 +21,2 @@\n"
    " twenty\n"  # new 21 = old 20
    "-twenty-one\n"
    " twenty-two\n"  # new 22 = old 22
    "\\ No newline at end of file\n"
)


def test_unchanged_lines_map_to_their_old_numbers_and_changed_lines_do_not() -> None:
    assert context_old_lines(PATCH) == {2: 2, 5: 4, 6: 5, 21: 20, 22: 22}


def test_text_before_the_first_hunk_and_an_empty_patch_give_nothing() -> None:
    assert context_old_lines("diff --git a/x b/x\n index 1..2\n") == {}
    assert context_old_lines("") == {}
