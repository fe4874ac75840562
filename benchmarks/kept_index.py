"""Benchmark: a task's context from the kept repository index against a fresh build.

A synthetic repository of ``--files`` Python modules (functions with distinct names, docstrings
and calls) sits in the fake SCM, each file read costing ``--latency-ms`` (what a forge's API
round trip costs; 0 shows pure CPU). Per query, the same context step runs three ways:

- fresh: list the tree, choose the path candidates, read them, index and rank them (today's
  build for every task);
- kept, first task after a push: load the kept files from the store and index them;
- kept, later tasks at the same commit: the loaded index is reused.

Then a push touching three files: the update's reads against the full build's. The store is an
``MemoryRepoIndexStore`` (the service's logic, not PostgreSQL's round trips, is measured).

    python -m benchmarks.kept_index [--files 3000] [--latency-ms 10]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from shared.domain.scm import FileContent
from shared.ports.repo_index import MemoryRepoIndexStore, RepoKey
from shared.ports.scm.fake import FakeScm
from shared.services.patch_flow.context import rank_candidates, select_context
from shared.services.repo_index import RepoIndexes

WORDS = ["parse", "render", "cache", "token", "session", "retry", "upload", "export", "invoice",
         "ledger", "report", "queue", "schedule", "notify", "account", "billing", "audit",
         "search", "index", "backup"]  # fmt: skip
QUERIES = ("the invoice ledger export drops the last page", "retry the upload when the session "
           "token expires", "schedule notify backup fails silently")  # fmt: skip
BUDGET = 6000


class _Scm(FakeScm):
    latency_s: float = 0.0
    reads: int = 0

    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        self.reads += 1
        time.sleep(self.latency_s)
        return super().read_file(tenant, ref, path)


def _module(i: int) -> bytes:
    a, b, c = (WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7))
    text = (
        f'"""The {a} {b} helpers ({i})."""\n\n\ndef {a}_{b}_{i}(value):\n'
        f'    """{c.title()} the {a}."""\n    return {c}_{i}(value) + {i}\n\n\n'
        f"def {c}_{i}(value):\n    # {b} then {a}\n    return value * {i % 13}\n"
    )
    return text.encode()


def _commit(scm: FakeScm, files: dict[str, bytes]) -> str:
    scm.branches["main"] = files
    sha = scm.list_tree(scm.tenant, "main").commit_sha
    scm.branches[sha] = files
    return sha


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    args = parser.parse_args()
    scm = _Scm(tenant="bench")
    files = {f"app/pkg{i % 40:02d}/mod_{i:05d}.py": _module(i) for i in range(args.files)}
    head = _commit(scm, files)
    key, store = RepoKey("bench", "github", "acme/app"), MemoryRepoIndexStore()
    reader = scm.as_scm().repository
    indexes = RepoIndexes(store, None, lambda _key: reader)  # type: ignore[arg-type]
    store.want(key, head)
    build_s, _ = _timed(lambda: indexes.update(key))
    full_reads, scm.reads = scm.reads, 0
    scm.latency_s = args.latency_ms / 1000

    def fresh(query: str) -> Any:
        tree = scm.list_tree("bench", head)
        read = lambda path: scm.read_file("bench", head, path)  # noqa: E731
        return select_context(rank_candidates(tree.entries, query), read, query, BUDGET)

    def kept(query: str) -> Any:
        found = indexes.at_commit(key, head)
        assert found is not None
        return select_context([], lambda p: scm.read_file("bench", head, p), query, BUDGET,
                              index=found.index)  # fmt: skip

    print(f"{args.files} files, {args.latency_ms:g} ms per file read; context budget {BUDGET}")
    print(f"{'query':<48} {'fresh s':>8} {'kept 1st':>9} {'kept next':>9} {'ratio':>7}")
    for query in QUERIES:
        indexes._loaded.clear()  # the first task after a push loads the index
        fresh_s, _ = _timed(lambda q=query: fresh(q))
        first_s, _ = _timed(lambda q=query: kept(q))
        next_s, _ = _timed(lambda q=query: kept(q))
        print(f"{query[:48]:<48} {fresh_s:8.3f} {first_s:9.3f} {next_s:9.3f} "
              f"{fresh_s / next_s:6.1f}x")  # fmt: skip
    changed = dict(files)
    for i in (1, 2, 3):
        changed[f"app/pkg{i:02d}/mod_{i:05d}.py"] += b"\n# touched\n"
    store.want(key, _commit(scm, changed))
    scm.reads = 0
    update_s, _ = _timed(lambda: indexes.update(key))
    print(f"first build: {full_reads} reads in {build_s:.2f} s (no latency); push of 3 files: "
          f"{scm.reads} reads in {update_s:.2f} s")  # fmt: skip
    print("ratio = fresh / kept (later tasks at the same commit); kept 1st includes the load")


if __name__ == "__main__":
    main()
