"""Benchmark: does retrieval find the files a real change touched, given the text describing it?

Corpus: ``benchmarks/data/retrieval_changes.json`` (see ``benchmarks.retrieval_corpus``): real
releases of open-source Python projects, each with its changelog section as the query and the
non-test ``.py`` files that changed since the previous release as the ground truth. Each query
ranks the *previous* release's tree (fetched with ``pip download`` into ``.benchmarks/``), with
both systems restricted to the same candidates (the tree's non-test ``.py`` files), so neither is
rewarded for ranking a changelog or a test.

Systems, all in this run: plain BM25 over file contents (the baseline), our fusion without
embeddings, and the full fusion (BM25F + symbol graph + embeddings). Reported: recall@1/@5/@10
(the share of a change's files found in the top k, averaged over changes) and MRR (the reciprocal
rank of the first correct file).

    python -m benchmarks.retrieval [--limit N] [--project click ...]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.retrieval_corpus import CACHE, Change, fetch, load, python_files, source_root
from shared.retrieval.bm25 import Bm25f
from shared.retrieval.embeddings import StaticModelEmbedder
from shared.retrieval.fusion import ranked
from shared.retrieval.index import RepoIndex, read_checkout

_PLAIN = re.compile(r"\w+")
Ranker = Callable[[Path, list[str], str], list[str]]


def plain_bm25(root: Path, candidates: list[str], query: str) -> list[str]:
    """The baseline: BM25 over each file's lowercase words, no fields, no identifier splitting."""
    index = Bm25f({"text": 1.0})
    for path, text in read_checkout(root, candidates).items():
        index.put(path, {"text": _PLAIN.findall((text or "").lower())})
    return ranked(index.scores(_PLAIN.findall(query.lower())))


def fusion(embeddings: bool) -> Ranker:
    def rank(root: Path, candidates: list[str], query: str) -> list[str]:
        embedder = StaticModelEmbedder() if embeddings else None
        index = RepoIndex(embedder=embedder)
        index.update(read_checkout(root, candidates))
        return [h.id for h in index.rank_files(query, 10)]

    return rank


def metrics(results: Sequence[tuple[list[str], tuple[str, ...]]]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for ranking, truth in results:
        for k in (1, 5, 10):
            out[f"R@{k}"] += len(set(ranking[:k]) & set(truth)) / len(truth)
        first = next((i for i, p in enumerate(ranking[:10], 1) if p in truth), None)
        out["MRR"] += 1 / first if first else 0.0
    return {k: v / max(len(results), 1) for k, v in out.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="first N changes only")
    parser.add_argument("--project", action="append", default=[])
    args = parser.parse_args(argv)
    changes: list[Change] = [c for c in load() if not args.project or c.project in args.project]
    changes = changes[: args.limit] if args.limit else changes
    with ThreadPoolExecutor(4) as pool:
        roots = list(pool.map(lambda c: fetch(c.project, c.old, CACHE), changes))
    systems: dict[str, Ranker] = {
        "plain BM25 (baseline)": plain_bm25,
        "fusion, no embeddings": fusion(False),
        "fusion + embeddings": fusion(True),
    }
    results: dict[str, list[tuple[list[str], tuple[str, ...]]]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    used = 0
    for change, extracted in zip(changes, roots, strict=True):
        if extracted is None:
            continue
        root = source_root(extracted)
        candidates = sorted(python_files(root))
        used += 1
        for name, rank in systems.items():
            started = time.perf_counter()
            results[name].append((rank(root, candidates, change.query)[:10], change.files))
            seconds[name] += time.perf_counter() - started
    projects = sorted({c.project for c in changes})
    print(f"{used} changes from {len(projects)} projects ({', '.join(projects)})")
    truths = [truth for _, truth in results["plain BM25 (baseline)"]]
    ceiling = sum(min(5, len(t)) / len(t) for t in truths) / max(len(truths), 1)
    print(f"R@5 ceiling (changes touching more than 5 files cannot be fully found): {ceiling:.3f}")
    base = metrics(results["plain BM25 (baseline)"])
    print(f"{'system':<24}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR':>7}{'MRR x':>7}{'s/query':>9}")
    for name in systems:
        m = metrics(results[name])
        ratio, per_query = m["MRR"] / max(base["MRR"], 1e-9), seconds[name] / max(used, 1)
        print(
            f"{name:<24}{m['R@1']:>7.3f}{m['R@5']:>7.3f}{m['R@10']:>7.3f}{m['MRR']:>7.3f}"
            f"{ratio:>7.2f}{per_query:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
