"""LLM answers built from real edits, for the patch engine benchmark: every kind of answer.

Each kind turns one real edit (a file's two versions) into the answer a model might give: a diff
(clean or damaged, see ``patch_damage``), the same edit as a whole file or as search/replace
blocks, or an answer that must be refused whatever the tool: cut short by an output limit
(inside a fence, in the middle of a hunk's line, inside a search/replace block), or with code
elided behind a placeholder (``# ... rest unchanged``, a lone ``...``).
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from benchmarks.patch_damage import DAMAGES, Diff, Hunk, Pair, clean_diff, recoverable
from shared.patching.reindent import IndentStyle, file_style


# --- answers: what a tool is given, and how to judge what it does with it -----------------
@dataclass(frozen=True)
class Answer:
    """The text given to every tool. ``expected`` is the file it should produce;
    ``must_refuse``: cut short or elided, so that applying it at all is a misapplication;
    ``fmt``: the edit format the answer was asked in (the baselines take diffs only)."""

    text: str
    expected: str
    recoverable: bool
    must_refuse: bool = False
    fmt: str = "udiff"

    @property
    def diff(self) -> bool:
        return self.fmt == "udiff"


ELISIONS = (
    "# ... rest unchanged",
    "# existing code",
    "...",
    "# rest of file",
    "// ...",
    "# ... (unchanged) ...",
    "# Rest of the code remains the same",
)


def keeping_final_newline(old: str, new: str) -> str:
    """``new`` with ``old``'s final-newline state: all whole files and search/replace can say."""
    if not new or not old or new.endswith("\n") == old.endswith("\n"):
        return new
    return new + "\n" if old.endswith("\n") else new.removesuffix("\n")


def whole_file(path: str, content: str) -> str:
    longest = max((len(m) for m in re.findall(r"(?m)^ {0,3}(`{3,})", content)), default=2)
    fence = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") else content + "\n"
    return f"Here is the updated `{path}`:\n\n{fence}python\n{body}{fence}\n"


def search_replace(path: str, hunks: list[tuple[list[str], list[str]]]) -> str:
    out: list[str] = []
    for old, new in hunks:
        out += [path, "```python", "<<<<<<< SEARCH", *old, "=======", *new, ">>>>>>> REPLACE"]
        out += ["```", ""]
    return "\n".join(out)


def sides(hunk: Hunk) -> tuple[list[str], list[str]]:
    old = [line[1:] for line in hunk.lines if line[:1] in (" ", "-")]
    new = [line[1:] for line in hunk.lines if line[:1] in (" ", "+")]
    return old, new


def marker_for(line: str, rng: random.Random) -> str:
    return line[: len(line) - len(line.lstrip())] + rng.choice(ELISIONS)


def elide_whole(pair: Pair, rng: random.Random) -> str | None:
    """The new file with a stretch of at least 3 unchanged lines replaced by a placeholder."""
    old, new = pair.old.split("\n"), pair.new.split("\n")
    runs = [
        (j1, j2)
        for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, old, new, False).get_opcodes()
        if tag == "equal" and j2 - j1 >= 3 and any(x.strip() for x in new[j1:j2])
    ]
    if not runs:
        return None
    j1, j2 = rng.choice(runs)
    first = next(x for x in new[j1:j2] if x.strip())
    return "\n".join([*new[:j1], marker_for(first, rng), *new[j2:]])


def elide_blocks(diff: Diff, rng: random.Random) -> list[tuple[list[str], list[str]]] | None:
    """Search/replace blocks of the diff, one REPLACE with its trailing (or leading) context
    replaced by a placeholder."""
    blocks = [sides(h) for h in diff.hunks]
    choices = []
    for number, hunk in enumerate(diff.hunks):
        ops = [line[:1] for line in hunk.lines if line[:1] in (" ", "-", "+")]
        new_ops = [op for op in ops if op != "-"]
        lead = len(new_ops) - len("".join(new_ops).lstrip(" "))
        trail = len(new_ops) - len("".join(new_ops).rstrip(" "))
        if trail and trail < len(new_ops):
            choices.append((number, len(new_ops) - trail, len(new_ops)))
        if lead and lead < len(new_ops):
            choices.append((number, 0, lead))
    choices = [c for c in choices if any(x.strip() for x in blocks[c[0]][1][c[1] : c[2]])]
    if not choices:
        return None
    number, start, end = rng.choice(choices)
    old, new = blocks[number]
    first = next(x for x in new[start:end] if x.strip())
    blocks[number] = (old, [*new[:start], marker_for(first, rng), *new[end:]])
    return blocks


def cut_off(text: str, rng: random.Random, *, mid_line: bool) -> str | None:
    """``text`` stopped inside a hunk body line that is not its hunk's last (or, unless
    ``mid_line``, just after one), as an output limit stops an answer."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spots = []
    for index, line in enumerate(lines[:-1]):
        following = lines[index + 1]
        body = line[:1] in (" ", "-", "+") and not line.startswith(("--- ", "+++ "))
        if body and following[:1] in (" ", "-", "+") and len(line.rstrip("\r")) >= 3:
            spots.append(index)
    if not spots:
        return None
    index = rng.choice(spots)
    width = len(lines[index].rstrip("\r"))
    at = rng.randint(1, width - 1) if mid_line or rng.random() < 0.5 else width + 1
    return text[: offsets[index] + at]


def answer(kind: str, pair: Pair, rng: random.Random) -> Answer | None:
    """The answer of one kind for ``pair``; None when the edit cannot be damaged that way."""
    clean = clean_diff(pair)
    if kind.startswith("tab") and file_style(pair.old.split("\n")) != IndentStyle(" ", 4):
        return None  # tabs are damage only where the file's 4-column levels are certain
    if kind in DAMAGES:
        diff = DAMAGES[kind](clean, rng)
        return Answer(diff.text(), pair.new, recoverable(kind, diff, pair.old))
    return OTHER_ANSWERS[kind](pair, clean, rng)


def _whole(pair: Pair, clean: Diff, rng: random.Random) -> Answer:
    kept = keeping_final_newline(pair.old, pair.new)
    return Answer(whole_file(pair.path, pair.new), kept, True, fmt="whole")


def _search_replace(pair: Pair, clean: Diff, rng: random.Random) -> Answer:
    text = search_replace(pair.path, [sides(h) for h in clean.hunks])
    kept = keeping_final_newline(pair.old, pair.new)
    return Answer(text, kept, recoverable("no-numbers", clean, pair.old), fmt="search-replace")


def _whole_elided(pair: Pair, clean: Diff, rng: random.Random) -> Answer | None:
    elided = elide_whole(pair, rng)
    return _must_refuse(None if elided is None else whole_file(pair.path, elided), "whole")


def _search_replace_elided(pair: Pair, clean: Diff, rng: random.Random) -> Answer | None:
    blocks = elide_blocks(clean, rng)
    text = None if blocks is None else search_replace(pair.path, blocks)
    return _must_refuse(text, "search-replace")


def _search_replace_cut_off(pair: Pair, clean: Diff, rng: random.Random) -> Answer | None:
    full = search_replace(pair.path, [sides(h) for h in clean.hunks])
    end = full.rindex(">>>>>>> REPLACE")
    text = full[: rng.randint(full.rindex("<<<<<<< SEARCH") + 15, end - 1)]
    return _must_refuse(text, "search-replace")


def _must_refuse(text: str | None, fmt: str = "udiff") -> Answer | None:
    return None if text is None else Answer(text, "", False, must_refuse=True, fmt=fmt)


OTHER_ANSWERS: dict[str, Callable[[Pair, Diff, random.Random], Answer | None]] = {
    "whole-file": _whole,
    "search-replace": _search_replace,
    "cut-off-in-fence": lambda pair, clean, rng: _must_refuse(
        cut_off(replace(clean, fenced=True).text(), rng, mid_line=False)
    ),
    "cut-off-mid-line": lambda pair, clean, rng: _must_refuse(
        cut_off(clean.text(), rng, mid_line=True)
    ),
    "search-replace-cut-off": _search_replace_cut_off,
    "whole-file-elided": _whole_elided,
    "search-replace-elided": _search_replace_elided,
}


KINDS = (*DAMAGES, *OTHER_ANSWERS)
MUST_REFUSE = tuple(kind for kind in OTHER_ANSWERS if kind not in ("whole-file", "search-replace"))
