"""Benchmark: our patch engine against `git apply` and GNU `patch --fuzz=3` on damaged real diffs.

Corpus: real edits, i.e. successive versions of the same files: commits of the git repositories
found on the machine (this one first; shallow clones give none) and the Python standard library
of every interpreter installed side by side (pyenv, /usr/lib). Each pair's clean diff gets seeded
LLM-style damage; every tool gets the same text and the same tree. A case is *exact* when the tool
reports success and the file equals the newer version, *misapplied* when it reports success with
anything else, *refused* otherwise. A case is *recoverable* when its headers survived or every
damaged hunk's old side (whitespace-normalised) occurs exactly once in the file.

    python -m benchmarks.patch_engine [--pairs 150] [--seed 7] [--workers 2]
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from shared.domain.errors import PatchRejected
from shared.patching import ApplyResult, apply_edits, parse_edits

HEADER_INTACT = {"clean", "no-prefixes", "fences", "crlf"}
PATCH = ["patch", "-p1", "--fuzz=3", "--batch", "--forward", "--no-backup-if-mismatch", "-s"]
TOOLS = {"git apply": ["git", "apply"], "patch --fuzz=3": [*PATCH, "-r", "-", "-i"]}


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


# --- tools -----------------------------------------------------------------------------------
def run_ours(pair: Pair, text: str, decoys: dict[str, str]) -> str:
    try:
        outcome = apply_edits({pair.path: pair.old, **decoys}, parse_edits(text))
    except PatchRejected:
        return "refused"
    if not isinstance(outcome, ApplyResult):
        return "refused"
    return "exact" if outcome.files == {pair.path: pair.new} else "misapplied"


def run_tool(argv: list[str], pair: Pair, text: str, decoys: dict[str, str]) -> str:
    before = {pair.path: pair.old, **decoys}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, content in before.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(content.encode())
        (root / "edit.diff").write_bytes(text.encode())
        edit = str(root / "edit.diff")
        done = subprocess.run([*argv, edit], cwd=root, capture_output=True, timeout=30, check=False)
        after = {
            p: (root / p).read_bytes().decode(errors="replace")
            for p in before
            if (root / p).exists()
        }
    if done.returncode != 0:
        return "refused" if after == before else "partial"
    return "exact" if after == {**before, pair.path: pair.new} else "misapplied"


def evaluate(
    job: tuple[int, Pair, dict[str, str], int, list[str]],
) -> list[tuple[str, str, str, float, bool]]:
    """(tool, damage, outcome, seconds, recoverable) for every damage of one pair."""
    number, pair, decoys, seed, tools = job
    rows = []
    for kind, damage in DAMAGES.items():
        diff = damage(clean_diff(pair), random.Random(f"{seed}:{number}:{kind}"))
        text, recover = diff.text(), recoverable(kind, diff, pair.old)
        for name in tools:
            began = time.perf_counter()
            if name == "ours":
                outcome = run_ours(pair, text, decoys)
            else:
                outcome = run_tool(TOOLS[name], pair, text, decoys)
            rows.append((name, kind, outcome, time.perf_counter() - began, recover))
    return rows


# --- corpus ----------------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    return done.stdout.decode("utf-8", errors="replace")


def git_history_pairs(limit: int = 100) -> Iterator[Pair]:
    """Modified files of the last commits of this repository and of git repositories found
    within three levels of the home directory, /opt and /srv."""
    if shutil.which("git") is None:
        return
    repos = [Path(__file__).resolve().parents[1]]
    for root in (Path.home(), Path("/opt"), Path("/srv")):
        repos += [p.parent.resolve() for p in root.glob("*/.git")]
        repos += [p.parent.resolve() for p in root.glob("*/*/*/.git")]
    for repo in dict.fromkeys(repos):
        for commit in git(repo, "log", "--no-merges", "--format=%H", f"-n{limit}").split():
            names = git(repo, "diff-tree", "-r", "--diff-filter=M", "--name-only", commit)
            for path in names.split()[1:]:  # the first line is the commit id
                if path.endswith((".py", ".md", ".toml", ".sh", ".txt", ".yml")):
                    old, new = (
                        git(repo, "show", f"{rev}:{path}") for rev in (f"{commit}^", commit)
                    )
                    yield Pair(f"git:{repo.name}", path, old, new)


def version_pairs(rng: random.Random, limit_bytes: int = 120_000) -> Iterator[Pair]:
    """The same standard-library module in successive installed Python versions."""
    globs = [
        *Path.home().glob(".pyenv/versions/*/lib/python3.*"),
        *Path("/usr/lib").glob("python3.*"),
    ]
    found = {p.resolve() for p in globs if (p / "os.py").is_file()}
    dirs = sorted(found, key=lambda p: (int(p.name.split(".")[1] or 0), str(p)))
    candidates = [
        (older, newer, path.relative_to(newer))
        for older, newer in itertools.pairwise(dirs)
        for path in sorted(newer.rglob("*.py"))
        if "site-packages" not in path.parts and "dist-packages" not in path.parts
    ]
    rng.shuffle(candidates)
    for older, newer, relative in candidates:
        files = (older / relative, newer / relative)
        try:
            if max(f.stat().st_size for f in files) > limit_bytes:
                continue
            old, new = (f.read_text("utf-8") for f in files)
        except (UnicodeDecodeError, OSError):
            continue
        if old != new:
            yield Pair(f"{older.name}->{newer.name}", relative.as_posix(), old, new)


def corpus(size: int, seed: int) -> list[Pair]:
    """Up to a third from git histories, the rest from standard-library versions."""
    rng = random.Random(seed)

    def usable(pair: Pair) -> bool:
        return bool(pair.old.strip()) and 1 <= len(clean_diff(pair).hunks) <= 6

    history = [pair for pair in git_history_pairs() if usable(pair)]
    rng.shuffle(history)
    pairs = history[: size // 3]
    pairs += itertools.islice(filter(usable, version_pairs(rng)), size - len(pairs))
    return pairs


# --- report ----------------------------------------------------------------------------------
def report(tools: list[str], rows: list[tuple[str, str, str, float, bool]]) -> None:
    def cell(outcomes: list[str]) -> str:
        total = max(len(outcomes), 1)
        exact, misapplied = (100 * outcomes.count(o) / total for o in ("exact", "misapplied"))
        return f"{exact:5.1f} {100 - exact - misapplied:5.1f} {misapplied:5.1f}"

    by = defaultdict(list)
    for tool, kind, outcome, _, recover in rows:
        for key in (kind, "ALL", *(["RECOVERABLE"] if recover else [])):
            by[(tool, key)].append(outcome)
    recovered = defaultdict(int)
    for tool, kind, _, _, recover in rows:
        recovered[kind] += recover and tool == "ours"
    print(f"\n{'damage':21} {'cases':>5} {'recov':>5} | " + " | ".join(f"{t:^17}" for t in tools))
    print(f"{'':33} | " + " | ".join("exact refus misap" for _ in tools))
    for key in [*DAMAGES, "ALL", "RECOVERABLE"]:
        cases = len(by[("ours", key)])
        shown = str(recovered[key]) if key in DAMAGES else ""
        print(f"{key:21} {cases:5} {shown:>5} | " + " | ".join(cell(by[(t, key)]) for t in tools))
    partial = ", ".join(f"{t}: {by[(t, 'ALL')].count('partial')}" for t in tools)
    print(f"\nleft the tree half-changed (counted as refused): {partial}")
    for tool in tools:
        ms = sorted(1000 * row[3] for row in rows if row[0] == tool)
        print(
            f"time per patch, {tool}: mean {sum(ms) / len(ms):.2f} ms, median "
            f"{ms[len(ms) // 2]:.2f} ms, max {ms[-1]:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4))
    args = parser.parse_args()
    tools = ["ours"]
    for name, argv in TOOLS.items():
        if shutil.which(argv[0]):
            tools.append(name)
        else:
            print(f"({argv[0]} is not installed: {name} skipped)", file=sys.stderr)
    started = time.monotonic()
    pairs = corpus(args.pairs, args.seed)
    sources = sorted({p.source for p in pairs})
    print(
        f"corpus: {len(pairs)} real file-version pairs from {len(sources)} sources "
        f"({', '.join(sources)}), built in {time.monotonic() - started:.1f} s; "
        f"{len(DAMAGES)} damage kinds each"
    )
    # Two other files in each tree, never a version of the file being patched.
    others = [[o.old for o in pairs if o.path != p.path][n : n + 2] for n, p in enumerate(pairs)]
    decoys = [{f"decoy_{i}.py": text for i, text in enumerate(texts)} for texts in others]
    jobs = [(n, pair, decoys[n], args.seed, tools) for n, pair in enumerate(pairs)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = [row for rows in pool.map(evaluate, jobs) for row in rows]
    report(tools, rows)
    print(f"total {time.monotonic() - started:.0f} s with {args.workers} workers")


if __name__ == "__main__":
    main()
