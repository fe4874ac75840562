"""Answers cut short by an output limit, or eliding code behind a placeholder, are never applied;
miscounted but complete diffs still are."""

from __future__ import annotations

import pytest

from shared.domain.errors import PatchRejected
from shared.patching import ApplyRefusal, ApplyResult, FailureReason, apply_edits, parse_edits

SOURCE = """\
def total(items):
    result = 0
    for item in items:
        result += item.price
    return result


def count(items):
    return len(items)
"""
DIFF = """\
--- a/shop.py
+++ b/shop.py
@@ -1,5 +1,5 @@
 def total(items):
     result = 0
     for item in items:
-        result += item.price
+        result += item.price * item.quantity
     return result
"""
EXPECTED = SOURCE.replace("item.price\n", "item.price * item.quantity\n")


def refused_as_truncated(answer: str, fmt: str = "auto") -> str:
    with pytest.raises(PatchRejected) as refused:
        parse_edits(answer, fmt)
    assert refused.value.code == "truncated-answer"
    return refused.value.message


def applied(answer: str) -> str | None:
    outcome = apply_edits({"shop.py": SOURCE}, parse_edits(answer))
    assert isinstance(outcome, ApplyResult), outcome.to_feedback()
    return outcome.files["shop.py"]


@pytest.mark.parametrize("cut", [len(DIFF) - 16, DIFF.index("-        result") + 8])
def test_a_diff_cut_short_inside_its_fence_is_refused(cut: int) -> None:
    message = refused_as_truncated(f"Here is the fix:\n\n```diff\n{DIFF[:cut]}")
    assert "code fence that was never closed" in message


def test_an_unfenced_diff_stopping_mid_line_short_of_its_counts_is_refused() -> None:
    cut = DIFF.index("+        result") + 12  # "-" applied, "+" cut: the return would be lost
    assert "middle of a line" in refused_as_truncated(DIFF[:cut])


@pytest.mark.parametrize(
    "answer",
    [
        DIFF.replace("@@ -1,5 +1,5 @@", "@@ -1,9 +1,12 @@"),  # counts too big, text complete
        DIFF.replace("@@ -1,5 +1,5 @@", "@@ -1,3 +1,3 @@"),  # counts too small
        DIFF.rstrip("\n"),  # a stripped answer: no final newline, counts met
        f"```diff\n{DIFF}```\nThat multiplies by the quanti",  # the prose after it cut short
    ],
    ids=["counts-too-big", "counts-too-small", "stripped", "prose-cut"],
)
def test_wrong_counts_alone_are_not_truncation(answer: str) -> None:
    assert applied(answer) == EXPECTED


def test_a_whole_file_cut_short_inside_its_fence_is_refused() -> None:
    answer = "Here is `shop.py`:\n```python\ndef total(items):\n    result = 0\n    for it"
    assert "file's code fence" in refused_as_truncated(answer)


def whole(content: str) -> str:
    return f"Here is the updated `shop.py`:\n\n```python\n{content}```\n"


def search_replace(replace: str) -> str:
    return (
        "shop.py\n<<<<<<< SEARCH\n    for item in items:\n        result += item.price\n"
        f"    return result\n=======\n{replace}>>>>>>> REPLACE\n"
    )


KEPT = "    for item in items:\n        result += item.price * item.quantity\n"


@pytest.mark.parametrize(
    "marker",
    [
        "# ... rest unchanged",
        "# existing code",
        "# rest of file",
        "// ...",
        "# ... (unchanged) ...",
        "# Rest of the code remains the same",
        "    # ...existing code...",
        "...",
    ],
)
def test_elided_replacements_are_refused_naming_the_line(marker: str) -> None:
    answers = [
        (whole(SOURCE.replace("def count(items):\n    return len(items)\n", marker + "\n")), 8),
        (search_replace(KEPT + marker + "\n"), 3),
    ]
    for answer, line in answers:
        outcome = apply_edits({"shop.py": SOURCE}, parse_edits(answer))
        assert isinstance(outcome, ApplyRefusal), answer
        (failure,) = outcome.failures
        assert failure.reason is FailureReason.ELIDED
        assert f"line {line} of" in failure.message and marker.strip() in failure.message


@pytest.mark.parametrize(
    "content",
    [
        SOURCE + "\n\nclass Priced(Protocol):\n    def price(self) -> int:\n        ...\n",
        SOURCE.replace(
            "    return result",
            "    # the loop above sums ...prices of each item\n    return result",
        ),
        SOURCE.replace("    return result", "    return result  # ... and nothing else"),
    ],
    ids=["stub-body", "prose-with-ellipsis", "trailing-comment"],
)
def test_an_ellipsis_that_is_code_or_prose_is_no_elision(content: str) -> None:
    assert applied(whole(content)) == content


def test_a_placeholder_the_original_already_had_is_the_files_own() -> None:
    source = SOURCE + "\n# ... rest unchanged\n"
    outcome = apply_edits(
        {"shop.py": source}, parse_edits(whole(source.replace("item.price\n", "item.cost\n")))
    )
    assert isinstance(outcome, ApplyResult)


def test_an_ellipsis_standing_in_an_existing_block_is_elision() -> None:
    content = SOURCE.replace("    return len(items)", "    ...\n    return len(items)")
    outcome = apply_edits({"shop.py": SOURCE}, parse_edits(whole(content)))
    assert isinstance(outcome, ApplyRefusal)
    assert outcome.failures[0].reason is FailureReason.ELIDED
