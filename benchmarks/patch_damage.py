"""Unified diffs of real edits, damaged the way LLM output is, for the patch engine benchmark.

A clean diff is kept in pieces (``Diff``) so that each damage (wrong numbers and counts, missing
headers, re-spaced, dedented, tabs for spaces, trimmed or misremembered context, fences, CRLF)
can be applied to it and the result still judged (``recoverable``).
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

HEADER_INTACT = {"clean", "no-prefixes", "fences", "crlf"}


@dataclass(frozen=True)
class Pair:
    source: str
    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Diff:
    """A clean diff in pieces, so that damage can be applied and the result still judged."""

    path: str
    hunks: tuple[Hunk, ...]
    git_header: bool = True
    prefixes: bool = True
    file_header: bool = True
    numbers: bool = True
    fenced: bool = False
    crlf: bool = False

    def text(self) -> str:
        a, b = ("a/", "b/") if self.prefixes else ("", "")
        out = [f"diff --git a/{self.path} b/{self.path}"] if self.git_header else []
        out += [f"--- {a}{self.path}", f"+++ {b}{self.path}"] if self.file_header else []
        for h in self.hunks:
            numbers = f"-{h.old_start},{h.old_count} +{h.new_start},{h.new_count} "
            out += [f"@@ {numbers if self.numbers else ''}@@", *h.lines]
        text = "\n".join(out) + "\n"
        if self.fenced:
            text = f"Here is the fix for `{self.path}`:\n\n```diff\n{text}```\n\nLet me know!\n"
        return text.replace("\n", "\r\n") if self.crlf else text


def keep_ends(text: str) -> list[str]:
    """Lines with their LF (``splitlines`` would also split at form feeds and other breaks)."""
    pieces = text.split("\n")
    return [piece + "\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def clean_diff(pair: Pair) -> Diff:
    old, new = keep_ends(pair.old), keep_ends(pair.new)
    hunks = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(3):
        lines: list[str] = []
        for tag, a1, a2, b1, b2 in group:
            sides = (
                [(" ", old[a1:a2])] if tag == "equal" else [("-", old[a1:a2]), ("+", new[b1:b2])]
            )
            for prefix, chunk in sides:
                for line in chunk:
                    lines.append(prefix + line.rstrip("\n"))
                    if not line.endswith("\n"):
                        lines.append("\\ No newline at end of file")
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        hunks.append(Hunk(i1 + (i2 > i1), i2 - i1, j1 + (j2 > j1), j2 - j1, tuple(lines)))
    return Diff(pair.path, tuple(hunks))


Damage = Callable[[Diff, random.Random], Diff]


# --- damage: each takes the clean diff and a seeded Random ---------------------------------
def bodies(change: Callable[[list[str], random.Random], list[str]]) -> Damage:
    def damage(diff: Diff, rng: random.Random) -> Diff:
        hunks = (replace(h, lines=tuple(change(list(h.lines), rng))) for h in diff.hunks)
        return replace(diff, hunks=tuple(hunks))

    return damage


def respace(lines: list[str], rng: random.Random) -> list[str]:
    """Context lines get trailing spaces or doubled inner spaces (indentation kept)."""
    for i, line in enumerate(lines):
        if line.startswith(" ") and line.strip():
            spaced = re.sub(r"(?<=\S) (?=\S)", "  ", line, count=2)
            lines[i] = line + " " * rng.randint(1, 3) if rng.random() < 0.5 else spaced
    return lines


def dedent(lines: list[str], rng: random.Random) -> list[str]:
    """The whole hunk moved left by its common indentation, as LLMs quote nested code."""
    body = [line for line in lines if line[:1] in (" ", "-", "+") and line[1:].strip()]
    if not any(line[:1] in (" ", "-") for line in body):
        return lines
    cut = min(len(line[1:]) - len(line[1:].lstrip(" ")) for line in body)
    return [line[:1] + line[1 + cut :] if line in body else line for line in lines]


def truncate(lines: list[str], rng: random.Random) -> list[str]:
    """Up to two context lines dropped at each end (the header still counts them)."""
    start, end = 0, len(lines)
    while start < min(2, end - 1) and lines[start].startswith(" ") and rng.random() < 0.8:
        start += 1
    while end > max(start + 1, len(lines) - 2) and lines[end - 1].startswith(" "):
        end -= 1
    return lines[start:end]


def no_context(lines: list[str], rng: random.Random) -> list[str]:
    changed = [i for i, line in enumerate(lines) if line[:1] in ("-", "+", "\\")]
    return lines[changed[0] : changed[-1] + 1] if changed else lines


def hallucinate(lines: list[str], rng: random.Random) -> list[str]:
    """One context line misremembered."""
    spots = [i for i, line in enumerate(lines) if line.startswith(" ") and line.strip()]
    if spots:
        i = rng.choice(spots)
        lines[i] = lines[i].replace("self", "this", 1) if "self" in lines[i] else lines[i] + " #"
    return lines


def renumber(diff: Diff, rng: random.Random) -> Diff:
    """Starts shifted, the new side by a different amount (so the header is inconsistent)."""
    shifts = [rng.choice([-1, 1]) * rng.randint(1, 40) for _ in diff.hunks]
    hunks = (
        replace(h, old_start=max(1, h.old_start + d), new_start=max(1, h.new_start + d + 3))
        for h, d in zip(diff.hunks, shifts, strict=True)
    )
    return replace(diff, hunks=tuple(hunks))


def recount(diff: Diff, rng: random.Random) -> Diff:
    jitter = [rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(2 * len(diff.hunks))]
    hunks = (
        replace(h, old_count=max(0, h.old_count + a), new_count=max(0, h.new_count + b))
        for h, a, b in zip(diff.hunks, jitter[::2], jitter[1::2], strict=True)
    )
    return replace(diff, hunks=tuple(hunks))


def restyle(line: str) -> str:
    """A body line with its indentation in the other style: a tab per 4 spaces, or the reverse."""
    text = line[1:]
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    styled = (
        indent.expandtabs(4)
        if "\t" in indent
        else "\t" * (len(indent) // 4) + " " * (len(indent) % 4)
    )
    return line[0] + styled + text[len(indent) :]


def tabs_for_spaces(ops: str) -> Callable[[list[str], random.Random], list[str]]:
    """Lines with the given ops (context and removed, or all) in the other indentation style."""

    def change(lines: list[str], rng: random.Random) -> list[str]:
        return [restyle(line) if line[:1] in ops and line[:1] != "" else line for line in lines]

    return change


def chain(*damages: Damage, **flags: bool) -> Damage:
    def damage(diff: Diff, rng: random.Random) -> Diff:
        for each in damages:
            diff = each(diff, rng)
        return replace(diff, **flags)

    return damage


DAMAGES: dict[str, Damage] = {
    "clean": chain(),
    "line-numbers": renumber,
    "counts": recount,
    "no-numbers": chain(numbers=False),
    "no-prefixes": chain(git_header=False, prefixes=False),
    "no-file-header": chain(git_header=False, file_header=False),
    "context-whitespace": bodies(respace),
    "bare-blank-lines": bodies(lambda lines, _: ["" if x == " " else x for x in lines]),
    "dedented-hunk": bodies(dedent),
    "truncated-context": bodies(truncate),
    "fences": chain(fenced=True),
    "crlf": chain(crlf=True),
    "llm-mix": chain(renumber, bodies(respace), fenced=True, git_header=False, prefixes=False),
    "hallucinated-context": chain(renumber, bodies(hallucinate)),
    "no-context": chain(renumber, bodies(no_context)),
    "tabs-for-spaces": bodies(tabs_for_spaces(" -")),
    "tabbed-hunk": bodies(tabs_for_spaces(" -+")),
    "tabs-llm-mix": chain(
        renumber,
        bodies(respace),
        bodies(tabs_for_spaces(" -")),
        fenced=True,
        git_header=False,
        prefixes=False,
    ),
}


def recoverable(kind: str, diff: Diff, old: str) -> bool:
    if kind in HEADER_INTACT:
        return True
    norm = [" ".join(line.split()) for line in keep_ends(old)]
    for hunk in diff.hunks:
        block = [" ".join(x[1:].split()) for x in hunk.lines if x[:1] in (" ", "-", "")]
        size = len(block)
        if not size or sum(norm[i : i + size] == block for i in range(len(norm) - size + 1)) != 1:
            return False
    return True
