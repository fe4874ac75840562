"""Properties: clean diffs round-trip exactly; damaged ones apply exactly or are refused.

Files are drawn from a small set of code-like lines so that repeated blocks, and blocks that
differ only by indentation, are common: the situations where a tolerant engine misapplies.
A damaged header is one that disagrees with its body (wrong counts, shifted numbers, none).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.domain.errors import PatchRejected
from shared.patching import ApplyRefusal, ApplyResult, apply_edits, parse_edits, render_file_diff
from shared.patching.reindent import IndentStyle, file_style

VOCABULARY = [
    "def f(x):",
    "    return x",
    "return x",
    "    if x:",
    "        x = x + 1",
    "x = x + 1",
    "",
    "# note",
    "    pass",
    "class C:",
    "    def m(self):",
    "        return self.value",
    "value  =  compute(1, 2)",
    "print('done')",
]
PATH = "pkg/mod.py"
DECOY = "other.py"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    old: str
    new: str
    decoy: str


def text_of(lines: list[str], eol: str, final_newline: bool) -> str:
    if not lines:
        return ""
    return eol.join(lines) + (eol if final_newline else "")


@st.composite
def cases(draw: st.DrawFn) -> Case:
    line = st.one_of(st.sampled_from(VOCABULARY), st.text("abc xyz=()", min_size=1, max_size=12))
    old_lines = draw(st.lists(line, max_size=25))
    new_lines = list(old_lines)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(new_lines)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert" or not new_lines or at == len(new_lines):
            new_lines.insert(at, draw(line))
        elif action == "delete":
            del new_lines[at]
        else:
            new_lines[at] = draw(line)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    old_final, new_final = draw(st.booleans()), draw(st.booleans())
    old = text_of(old_lines, eol, old_final)
    new = text_of(new_lines, eol, new_final if new_lines else old_final)
    assume(old != new)
    decoy = text_of(draw(st.lists(st.sampled_from(VOCABULARY), max_size=8)), "\n", True)
    return Case(old, new, decoy)


def unified_diff(old: str, new: str) -> str:
    """The diff as Python's difflib writes it, plus the no-newline markers it leaves out."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{PATH}", f"b/{PATH}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def outcome_of(case: Case, diff: str) -> ApplyResult | ApplyRefusal | None:
    try:
        edits = parse_edits(diff, "udiff")
    except PatchRejected:
        return None
    return apply_edits({PATH: case.old, DECOY: case.decoy}, edits)


@SETTINGS
@given(cases())
def test_clean_diff_round_trips_exactly(case: Case) -> None:
    outcome = outcome_of(case, unified_diff(case.old, case.new))
    assert isinstance(outcome, ApplyResult), outcome
    assert outcome.files == {PATH: case.new}
    again = outcome_of(case, outcome.diff)
    assert isinstance(again, ApplyResult)
    assert again.files == {PATH: case.new}


@SETTINGS
@given(cases())
def test_normalised_diff_round_trips_exactly(case: Case) -> None:
    rendered = render_file_diff(PATH, PATH, case.old, case.new)
    outcome = outcome_of(case, rendered)
    assert isinstance(outcome, ApplyResult)
    assert outcome.files == {PATH: case.new}


_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def _damage_numbers(diff: str, draw: st.DrawFn) -> str:
    def shift(match: re.Match[str]) -> str:
        old_shift = draw(st.integers(-5, 5))
        new_shift = draw(st.integers(-5, 5).filter(lambda value: value != old_shift))
        old_start = max(int(match[1]) + old_shift, 0)
        new_start = max(int(match[3]) + new_shift, 0)
        return (
            f"@@ -{old_start},{draw(st.integers(0, 9))} +{new_start},{draw(st.integers(0, 9))} @@"
        )

    return _HEADER.sub(shift, diff)


def _map_body(diff: str, change: object) -> str:
    out = []
    for line in diff.split("\n"):
        is_body = line[:1] in (" ", "-", "+") and not line.startswith(("--- ", "+++ "))
        out.append(change(line) if is_body else line)  # type: ignore[operator]
    return "\n".join(out)


def _collapse_inner_spaces(line: str) -> str:
    """Alignment spaces inside a context line collapsed; indentation is left alone."""
    if not line.startswith(" "):
        return line
    text = line[1:]
    indent = text[: len(text) - len(text.lstrip(" "))]
    return " " + indent + re.sub(" +", " ", text[len(indent) :])


def _drop_edge_context(diff: str) -> str:
    hunks = re.split(r"(?m)^(?=@@)", diff)
    trimmed = [hunks[0]]
    for hunk in hunks[1:]:
        header, *body = hunk.split("\n")
        while len(body) > 1 and body[0].startswith(" "):
            body = body[1:]
            break
        if body and body[-1] == "":
            body = body[:-1]
        if len(body) > 1 and body[-1].startswith(" "):
            body = body[:-1]
        trimmed.append("\n".join([header, *body]) + "\n")
    return "".join(trimmed)


def _dedent_hunks(diff: str) -> str:
    hunks = re.split(r"(?m)^(?=@@)", diff)
    out = [hunks[0]]
    for hunk in hunks[1:]:
        header, *body = hunk.split("\n")
        texts = [line[1:] for line in body if line[:1] in (" ", "-", "+") and line[1:].strip()]
        if not any(line[:1] in (" ", "-") and line[1:].strip() for line in body):
            texts = []  # without old lines nothing shows the file's indentation: not recoverable
        indent = min((len(t) - len(t.lstrip(" ")) for t in texts), default=0)
        body = [
            line[:1] + line[1 + indent :]
            if line[:1] in (" ", "-", "+") and line[1:].strip()
            else line
            for line in body
        ]
        out.append("\n".join([header, *body]))
    return "".join(out)


def _tabbed(line: str) -> str:
    """A body line with a tab for each 4 spaces of its indentation."""
    text = line[1:]
    indent = len(text) - len(text.lstrip(" "))
    return line[:1] + "\t" * (indent // 4) + " " * (indent % 4) + text[indent:]


DAMAGES = [
    "numbers",
    "no-numbers",
    "no-prefixes",
    "no-file-header",
    "trailing-space",
    "inner-space",
    "bare-blank",
    "truncated-context",
    "cut-last-line",
    "dedent",
    "fences",
    "crlf",
    "tabs-context",
    "tabbed-hunk",
]


def damaged(diff: str, damages: list[str], draw: st.DrawFn, old: str) -> str:
    """``diff`` of ``old`` with each damage of ``damages`` done to it, in order. Tabs for spaces
    are damage only in a file whose 4-column levels are certain: elsewhere (an empty file, a file
    of unindented lines) tab-indented added lines may be what the author meant."""
    if file_style(old.split("\n")) != IndentStyle(" ", 4):
        damages = [damage for damage in damages if not damage.startswith("tab")]
    for damage in damages:
        if damage == "numbers":
            diff = _damage_numbers(diff, draw)
        elif damage == "no-numbers":
            diff = _HEADER.sub("@@ @@", diff)
        elif damage == "no-prefixes":
            diff = diff.replace(f"--- a/{PATH}", f"--- {PATH}").replace(
                f"+++ b/{PATH}", f"+++ {PATH}"
            )
        elif damage == "no-file-header":
            diff = re.sub(r"(?m)^(---|\+\+\+) .*\n", "", diff)
        elif damage == "trailing-space":
            diff = _map_body(diff, lambda line: line + "  " if line.startswith(" ") else line)
        elif damage == "inner-space":
            diff = _map_body(diff, _collapse_inner_spaces)
        elif damage == "bare-blank":
            diff = _map_body(diff, lambda line: "" if line.rstrip("\r") == " " else line)
        elif damage == "truncated-context":
            diff = _drop_edge_context(diff)
        elif damage == "cut-last-line":
            diff = re.sub(r"(?m)^( .{4})..+\n(?=@@|\Z)", r"\1...\n", diff)
        elif damage == "dedent":
            diff = _dedent_hunks(diff)
        elif damage == "fences":
            diff = f"Here is the patch:\n\n```diff\n{diff}```\nIt fixes the bug.\n"
        elif damage == "crlf":
            diff = diff.replace("\n", "\r\n")
        elif damage == "tabs-context":
            diff = _map_body(diff, lambda line: _tabbed(line) if line[:1] in " -" else line)
        elif damage == "tabbed-hunk":
            diff = _map_body(diff, _tabbed)
    return diff


@SETTINGS
@given(cases(), st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=3, unique=True), st.data())
def test_damaged_diff_applies_exactly_or_is_refused(
    case: Case, damages: list[str], data: st.DataObject
) -> None:
    diff = damaged(unified_diff(case.old, case.new), damages, data.draw, case.old)
    outcome = outcome_of(case, diff)
    if isinstance(outcome, ApplyResult):
        assert outcome.files == {PATH: case.new}, (damages, diff)


FRAGMENTS = [
    "diff --git a/pkg/mod.py b/pkg/mod.py",
    "--- a/pkg/mod.py",
    "+++ b/pkg/mod.py",
    "--- /dev/null",
    "+++ /dev/null",
    "new file mode 100644",
    "deleted file mode 100644",
    "rename from pkg/mod.py",
    "rename to pkg/new.py",
    "@@ -1,2 +1,3 @@",
    "@@ -0,0 +1 @@",
    "@@ @@",
    "\\ No newline at end of file",
    "```diff",
    "```",
    "pkg/mod.py",
    "<<<<<<< SEARCH",
    "=======",
    ">>>>>>> REPLACE",
    " def f(x):",
    "-    return x",
    "+    return x + 1",
    "",
    "Some prose.",
]


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30), st.sampled_from(["\n", "\r\n"]))
def test_any_answer_is_applied_refused_or_rejected_without_crashing(
    fragments: list[str], eol: str
) -> None:
    old = "def f(x):\n    return x\n"
    try:
        edits = parse_edits(eol.join(fragments))
    except PatchRejected:
        return
    outcome = apply_edits({PATH: old}, edits)
    assert isinstance(outcome, ApplyResult | ApplyRefusal)
    if isinstance(outcome, ApplyResult):
        again = apply_edits({PATH: old}, parse_edits(outcome.diff) if outcome.diff else ())
        assert not outcome.diff or (isinstance(again, ApplyResult) and again.files == outcome.files)
