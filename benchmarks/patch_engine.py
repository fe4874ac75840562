"""Benchmark: our patch engine against `git apply` and GNU `patch --fuzz=3` on damaged real diffs.

Corpus: real edits, i.e. successive versions of the same files: commits of the git repositories
found on the machine (this one first; shallow clones give none) and the Python standard library
of every interpreter installed side by side (pyenv, /usr/lib). Each pair becomes every kind of
answer of ``patch_answers`` (seeded): diffs damaged the LLM way, whole files, search/replace
blocks, answers cut short and answers eliding code. Every tool gets the same text and the same
tree; the baselines get the diffs only. A case is *exact* when the tool reports success and the
file equals the newer version, *misapplied* when it reports success with anything else (for an
answer cut short or elided: success at all), *refused* otherwise. A case is *recoverable* when
its headers survived or every damaged hunk's old side (whitespace-normalised) occurs exactly once
in the file.

    python -m benchmarks.patch_engine [--pairs 150] [--seed 7] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.patch_answers import KINDS, MUST_REFUSE, Answer, answer
from benchmarks.patch_damage import DAMAGES, Pair, clean_diff
from shared.domain.errors import PatchRejected
from shared.patching import ApplyResult, apply_edits, parse_edits

PATCH = ["patch", "-p1", "--fuzz=3", "--batch", "--forward", "--no-backup-if-mismatch", "-s"]
TOOLS = {"git apply": ["git", "apply"], "patch --fuzz=3": [*PATCH, "-r", "-", "-i"]}


# --- tools -----------------------------------------------------------------------------------
def run_ours(pair: Pair, given: Answer, decoys: dict[str, str]) -> str:
    try:
        edits = parse_edits(given.text, given.fmt)
        outcome = apply_edits({pair.path: pair.old, **decoys}, edits)
    except PatchRejected:
        return "refused"
    if not isinstance(outcome, ApplyResult):
        return "refused"
    return "exact" if outcome.files == {pair.path: given.expected} else "misapplied"


def run_tool(argv: list[str], pair: Pair, given: Answer, decoys: dict[str, str]) -> str:
    before = {pair.path: pair.old, **decoys}
    text = given.text
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
    return "exact" if after == {**before, pair.path: given.expected} else "misapplied"


def evaluate(
    job: tuple[int, Pair, dict[str, str], int, list[str]],
) -> list[tuple[str, str, str, float, bool]]:
    """(tool, kind, outcome, seconds, recoverable) for every kind of answer to one pair. The
    baselines only get diffs; applying an answer that must be refused is a misapplication."""
    number, pair, decoys, seed, tools = job
    rows = []
    for kind in KINDS:
        given = answer(kind, pair, random.Random(f"{seed}:{number}:{kind}"))
        if given is None:
            continue
        for name in tools if given.diff else ["ours"]:
            began = time.perf_counter()
            if name == "ours":
                outcome = run_ours(pair, given, decoys)
            else:
                outcome = run_tool(TOOLS[name], pair, given, decoys)
            if given.must_refuse and outcome != "refused":
                outcome = "misapplied"
            rows.append((name, kind, outcome, time.perf_counter() - began, given.recoverable))
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
    """Per kind and overall: exact / refused / misapplied in % of the cases each tool got (the
    baselines get diffs only: "n/a" elsewhere)."""

    def cell(outcomes: list[str]) -> str:
        if not outcomes:
            return f"{'n/a':^17}"
        total = len(outcomes)
        exact, misapplied = (100 * outcomes.count(o) / total for o in ("exact", "misapplied"))
        return f"{exact:5.1f} {100 - exact - misapplied:5.1f} {misapplied:5.1f}"

    diff_kinds = {kind for tool, kind, *_ in rows if tool != "ours"} or set(DAMAGES)
    groups = {
        "ALL DIFFS": lambda kind, recover: kind in diff_kinds,
        "RECOVERABLE DIFFS": lambda kind, recover: recover and kind in diff_kinds,
        "RECOVERABLE (ours)": lambda kind, recover: recover,
        "MUST-REFUSE": lambda kind, recover: kind in MUST_REFUSE,
    }
    by = defaultdict(list)
    for tool, kind, outcome, _, recover in rows:
        by[(tool, kind)].append(outcome)
        for name, member in groups.items():
            if member(kind, recover) and (tool == "ours" or name != "RECOVERABLE (ours)"):
                by[(tool, name)].append(outcome)
    recovered: dict[str, int] = defaultdict(int)
    for tool, kind, _, _, recover in rows:
        recovered[kind] += recover and tool == "ours"
    print(f"\n{'kind':22} {'cases':>5} {'recov':>5} | " + " | ".join(f"{t:^17}" for t in tools))
    print(f"{'':34} | " + " | ".join("exact refus misap" for _ in tools))
    for key in [*KINDS, *groups]:
        cases = len(by[("ours", key)])
        shown = str(recovered[key]) if key in KINDS else ""
        print(f"{key:22} {cases:5} {shown:>5} | " + " | ".join(cell(by[(t, key)]) for t in tools))
    partial = ", ".join(f"{t}: {sum(by[(t, k)].count('partial') for k in KINDS)}" for t in tools)
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
        f"{len(KINDS)} kinds of answer each"
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
