"""Benchmark: does retrieval find the files a real change touched, given the text describing it?

Two corpora of real changes to open-source Python projects, each change ranked in the tree
*before* it (its sdist, fetched with ``pip download`` into ``.benchmarks/``), with all systems
restricted to the same candidates (the tree's non-test ``.py`` files), so none is rewarded for
ranking a changelog or a test:

- ``releases`` (``benchmarks.retrieval_corpus``): a release's changelog section against the files
  changed since the previous release; several entries and several files per change. The fusion
  weights were tuned here (on half of the projects, checked on the other half, each in turn).
- ``commits`` (``benchmarks.retrieval_commits``): a real commit message (the subject line pbr's
  ``ChangeLog`` recorded) against the files that one commit changed, from releases that held
  exactly one commit. Nothing was tuned on it: it is the held-out test of the issue's goal, which
  is stated for commit messages.

A file the change *added* is not in the older tree and cannot be ranked: it is left out of the
ground truth (a change left with nothing to find is skipped).

Systems, all in this run: plain BM25 over file contents (the baseline), our fusion without
embeddings, the fusion with embeddings, and the full system, whose index has also recorded the
project's *earlier* changes in the corpus (message and changed files, never a later one) as its
change history. Reported: recall@1/@5/@10 (the share of a change's files found in the top k,
averaged over changes), ``R@5 cap`` (found in the top 5 over min(5, files changed): a change
touching 8 files can at best have 5/8 found in a top 5, which the plain R@5 counts as a miss; its
mean over perfect rankings is the printed ceiling) and MRR (the reciprocal rank of the first
correct file, 0 beyond 10). Then per project and, for ``releases``, the cross-check of the
weights on each half of the projects.

    python -m benchmarks.retrieval [--corpus releases|commits|both] [--limit N] [--project P ...]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.retrieval_commits import CORPUS as COMMITS
from benchmarks.retrieval_corpus import (
    CACHE,
    Change,
    fetch,
    load,
    python_files,
    source_root,
    version_key,
)
from benchmarks.retrieval_tuning import HALF_A, Evidence, Result, cross_check, metrics
from shared.retrieval.bm25 import Bm25f
from shared.retrieval.embeddings import StaticModelEmbedder
from shared.retrieval.fusion import ranked
from shared.retrieval.index import RepoIndex, read_checkout

_PLAIN = re.compile(r"\w+")
Ranker = Callable[[Path, list[str], Change, Sequence[Change]], list[str]]


def plain_bm25(root: Path, candidates: list[str], change: Change, _: Sequence[Change]) -> list[str]:
    """The baseline: BM25 over each file's lowercase words, no fields, no identifier splitting."""
    index = Bm25f({"text": 1.0})
    for path, text in read_checkout(root, candidates).items():
        index.put(path, {"text": _PLAIN.findall((text or "").lower())})
    return ranked(index.scores(_PLAIN.findall(change.query.lower())))


def fusion(embeddings: bool, history: bool, evidence: list[Evidence] | None = None) -> Ranker:
    """Our index; with ``evidence``, each query's per-ranker file scores are kept there too
    (what ``rank_files`` fuses), for the cross-check of the fusion weights."""

    def rank(root: Path, files: list[str], change: Change, past: Sequence[Change]) -> list[str]:
        index = RepoIndex(embedder=StaticModelEmbedder() if embeddings else None)
        index.update(read_checkout(root, files))
        for earlier in past if history else ():
            index.history.record(earlier.query, earlier.files)
        if evidence is not None:
            evidence.append(index.file_scores(change.query))
        return [h.id for h in index.rank_files(change.query, 10)]

    return rank


def earlier(change: Change, corpus: Sequence[Change]) -> list[Change]:
    """The project's releases in the corpus up to the one ``change`` starts from."""
    start = version_key(change.old)
    return [c for c in corpus if c.project == change.project and version_key(c.new) <= start]


def table(rows: Mapping[str, Sequence[Result]], base: str, seconds: dict[str, float]) -> None:
    columns = ("R@1", "R@5", "R@5 cap", "R@10", "MRR")
    print(f"{'':<30}" + "".join(f"{c:>9}" for c in columns) + f"{'MRR x':>7}{'s/query':>9}")
    base_mrr = max(metrics(rows[base])["MRR"], 1e-9)
    for name, results in rows.items():
        m = metrics(results)
        timing = f"{seconds[name] / max(len(results), 1):>9.2f}" if name in seconds else ""
        cells = "".join(f"{m[c]:>9.3f}" for c in columns)
        print(f"{name:<30}{cells}{m['MRR'] / base_mrr:>7.2f}{timing}")


def breakdown(
    used: Sequence[Change],
    tree_files: Sequence[int],
    base: Sequence[Result],
    full: Sequence[Result],
    halves: bool,
) -> None:
    """Plain BM25 against the full system by the size of the ranked tree (a larger tree is a
    harder search), per project, and per half of the projects where the weights were tuned."""
    print(f"\n{'':<24}{'n':>4}{'BM25 R@5':>10}{'R@5':>7}{'R@5 cap':>9}{'BM25 MRR':>10}{'MRR':>7}")
    groups: list[tuple[str, Callable[[int], bool]]] = [
        ("tree <= 30 files", lambda i: tree_files[i] <= 30),
        ("tree 31-100 files", lambda i: 30 < tree_files[i] <= 100),
        ("tree > 100 files", lambda i: tree_files[i] > 100),
    ]
    if halves:
        groups += [("half A", lambda i: used[i].project in HALF_A)]
        groups += [("half B", lambda i: used[i].project not in HALF_A)]
    projects = [c.project for c in used]
    for name in sorted(set(projects)):
        groups.append((name, {i for i, p in enumerate(projects) if p == name}.__contains__))
    for title, keep in groups:
        chosen = [i for i in range(len(used)) if keep(i)]
        if chosen:
            b, f = metrics([base[i] for i in chosen]), metrics([full[i] for i in chosen])
            print(
                f"{title:<24}{len(chosen):>4}{b['R@5']:>10.3f}{f['R@5']:>7.3f}"
                f"{f['R@5 cap']:>9.3f}{b['MRR']:>10.3f}{f['MRR']:>7.3f}"
            )


def run(title: str, corpus: Sequence[Change], args: argparse.Namespace, tuned: bool) -> None:
    """Every system on one corpus: the table, the per-project breakdown and, on the corpus the
    weights were tuned on, their cross-check."""
    changes = [c for c in corpus if not args.project or c.project in args.project]
    changes = changes[: args.limit] if args.limit else changes
    with ThreadPoolExecutor(4) as pool:
        roots = list(pool.map(lambda c: fetch(c.project, c.old, CACHE), changes))
    evidence: list[Evidence] = []
    systems: dict[str, Ranker] = {
        "plain BM25 (baseline)": plain_bm25,
        "fusion, no embeddings": fusion(False, False),
        "fusion + embeddings": fusion(True, False),
        "fusion + embeddings + history": fusion(True, True, evidence),
    }
    results: dict[str, list[Result]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    used: list[Change] = []
    tree_files: list[int] = []
    dropped = 0
    for change, extracted in zip(changes, roots, strict=True):
        if extracted is None:
            continue
        root = source_root(extracted)
        candidates = sorted(python_files(root))
        truth = tuple(f for f in change.files if f in candidates)
        dropped += len(change.files) - len(truth)
        if not truth:
            continue
        used.append(change)
        tree_files.append(len(candidates))
        past = earlier(change, corpus)
        for name, rank in systems.items():
            started = time.perf_counter()
            results[name].append((rank(root, candidates, change, past)[:10], truth))
            seconds[name] += time.perf_counter() - started
    if not used:
        return
    projects = sorted({c.project for c in used})
    print(f"\n== {title}: {len(used)} changes from {len(projects)} projects")
    print(f"({', '.join(projects)}); {sum(tree_files) / len(used):.0f} files ranked per change")
    print(f"{dropped} changed files not in the ranked (older) tree left out of the ground truth")
    truths = [truth for _, truth in results["plain BM25 (baseline)"]]
    ceiling = sum(min(5, len(t)) / len(t) for t in truths) / len(truths)
    print(f"R@5 ceiling (changes touching more than 5 files cannot be fully found): {ceiling:.3f}")
    table(results, "plain BM25 (baseline)", seconds)
    full = results["fusion + embeddings + history"]
    breakdown(used, tree_files, results["plain BM25 (baseline)"], full, tuned)
    if tuned:
        cross_check([c.project for c in used], evidence, truths)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", choices=("releases", "commits", "both"), default="both")
    parser.add_argument("--limit", type=int, default=0, help="first N changes of each corpus only")
    parser.add_argument("--project", action="append", default=[])
    args = parser.parse_args(argv)
    if args.corpus in ("releases", "both"):
        run("releases (changelog sections; weights tuned here)", load(), args, tuned=True)
    if args.corpus in ("commits", "both"):
        run("commits (real commit messages; never tuned on)", load(COMMITS), args, tuned=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
