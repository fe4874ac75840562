"""Properties that bite: damaged diffs that can be recovered ARE applied exactly (not merely
"exact or refused"), and every answer cut short or eliding code is refused.

A damaged diff is *recoverable* when every hunk still has old lines and its old side, whitespace
normalised, occurs exactly once in the file: then one place and one meaning exist, and refusing it
is a failure of the engine. The decoy file shares no line with the target here, so a diff that
lost its file names has only one file to be about.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.domain.errors import PatchRejected
from shared.patching import ApplyResult, apply_edits, parse_edits
from shared.patching.lines import normalise_whitespace
from tests.unit.patching.test_properties import (
    DAMAGES,
    PATH,
    Case,
    cases,
    damaged,
    unified_diff,
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # deterministic: the same examples on every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
DECOY = {"decoy.txt": "# not the file\n# nothing here matches it\n"}
MIN_EXACT_IN_BATCH = 0.5
ELISIONS = ["# ... rest unchanged", "# existing code", "...", "# rest of file", "// ..."]


def outcome(text: str, case: Case, fmt: str = "auto") -> str:
    """``exact``, ``misapplied`` or ``refused``."""
    try:
        result = apply_edits({PATH: case.old, **DECOY}, parse_edits(text, fmt))
    except PatchRejected:
        return "refused"
    if not isinstance(result, ApplyResult):
        return "refused"
    return "exact" if result.files == {PATH: case.new} else "misapplied"


def recoverable(diff: str, old: str) -> bool:
    """Every hunk of the damaged ``diff`` has old lines found at exactly one place of ``old``."""
    text = diff.replace("\r\n", "\n")
    hunks = re.split(r"(?m)^@@.*\n", text)[1:]
    file_lines = [normalise_whitespace(line) for line in old.replace("\r\n", "\n").split("\n")]
    for hunk in hunks:
        lines = hunk.split("\n")
        while lines and lines[-1] == "":
            lines.pop()  # bare blank lines ending a hunk are dropped, as the parser does
        block = [
            normalise_whitespace(line[1:])
            for line in lines
            if line[:1] in (" ", "-", "") and not line.startswith(("```", "---"))
        ]
        size = len(block)
        starts = range(len(file_lines) - size + 1)
        if not size or sum(file_lines[i : i + size] == block for i in starts) != 1:
            return False
    return bool(hunks)


damage_lists = st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=3, unique=True)


@SETTINGS
@given(cases(), damage_lists, st.data())
def test_recoverable_damage_applies_exactly(
    case: Case, damages: list[str], data: st.DataObject
) -> None:
    diff = damaged(unified_diff(case.old, case.new), damages, data.draw, case.old)
    assume(recoverable(diff, case.old))
    assert outcome(diff, case) == "exact", (damages, diff)


@settings(SETTINGS, max_examples=10)
@given(st.lists(st.tuples(cases(), damage_lists), min_size=20, max_size=20), st.data())
def test_most_damaged_diffs_apply_exactly(batch: list[tuple[Case, list[str]]], data) -> None:
    """Not only the recoverable ones: an engine refusing all damage cannot pass."""
    outcomes = [
        outcome(damaged(unified_diff(case.old, case.new), damages, data.draw, case.old), case)
        for case, damages in batch
    ]
    assert "misapplied" not in outcomes
    assert outcomes.count("exact") >= MIN_EXACT_IN_BATCH * len(batch), outcomes


def _body_lines(diff: str) -> list[tuple[int, int]]:
    """(offset, length) of each hunk body line that has a body line after it in its hunk."""
    spots = []
    offset = 0
    lines = diff.split("\n")
    for index, line in enumerate(lines[:-1]):
        following = lines[index + 1]
        body = line[:1] in (" ", "-", "+") and not line.startswith(("--- ", "+++ "))
        if body and following[:1] in (" ", "-", "+") and len(line) >= 2:
            spots.append((offset, len(line)))
        offset += len(line) + 1
    return spots


@SETTINGS
@given(cases(), st.booleans(), st.data())
def test_every_answer_cut_short_is_refused(case: Case, fenced: bool, data) -> None:
    diff = unified_diff(case.old, case.new)
    spots = _body_lines(diff)
    assume(spots)
    offset, length = data.draw(st.sampled_from(spots))
    # In a fence, anywhere (even at a line's end); outside one, in the middle of a line.
    at = offset + data.draw(st.integers(1, length if fenced else length - 1))
    answer = f"Here is the patch:\n\n```diff\n{diff[:at]}" if fenced else diff[:at]
    assert outcome(answer, case) == "refused", answer


@SETTINGS
@given(cases(), st.sampled_from(ELISIONS), st.sampled_from(["whole", "search-replace"]), st.data())
def test_every_elided_answer_is_refused(case: Case, marker: str, fmt: str, data) -> None:
    old, new = case.old.replace("\r\n", "\n"), case.new.replace("\r\n", "\n")
    new_lines = new.split("\n")
    old_lines = old.split("\n")
    kept = [i for i, line in enumerate(new_lines) if line.strip() and line in old_lines]
    assume(kept)
    start = data.draw(st.sampled_from(kept))
    end = data.draw(st.integers(start + 1, min(start + 4, len(new_lines))))
    assume(all(line.strip() for line in new_lines[start:end]))
    elided = [*new_lines[:start], marker, *new_lines[end:]]
    if fmt == "whole":
        answer = f"`{PATH}`:\n````python\n" + "\n".join(elided).rstrip("\n") + "\n````\n"
    else:
        search, replace = "\n".join(old_lines).rstrip("\n"), "\n".join(elided).rstrip("\n")
        assume(search.strip())
        answer = f"{PATH}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"
    assert outcome(answer, case, fmt) == "refused", answer


@st.composite
def indented_cases(draw: st.DrawFn) -> Case:
    """Functions indented by 4-column levels, one of them edited at some depth."""
    count = draw(st.integers(2, 6))
    blocks = [
        [f"def f{n}(x):", "    if x:", f"        x = x + {n}", "    return x", ""]
        for n in range(count)
    ]
    old = "\n".join(line for block in blocks for line in block) + "\n"
    target = blocks[draw(st.integers(0, count - 1))]
    at = draw(st.integers(1, 3))
    target.insert(at, draw(st.sampled_from(["        y = x", "    y = x", "        if y:"])))
    if draw(st.booleans()):
        target[at + 1] = target[at + 1].replace("x", "z")
    new = "\n".join(line for block in blocks for line in block) + "\n"
    return Case(old, new, "")


@SETTINGS
@given(indented_cases(), st.sampled_from(["tabs-context", "tabbed-hunk"]), damage_lists, st.data())
def test_tabs_for_spaces_on_indented_code_applies_exactly(
    case: Case, tabs: str, others: list[str], data: st.DataObject
) -> None:
    diff = damaged(unified_diff(case.old, case.new), [tabs, *others], data.draw, case.old)
    assume(recoverable(diff, case.old))
    assert outcome(diff, case) == "exact", ([tabs, *others], diff)
