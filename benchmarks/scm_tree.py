"""Benchmark: listing large repositories with local_git, memory and time against file count.

For 20 000, 50 000 and 100 000 files (about 370 bytes each, 1 in 1000 binary, 1 in 5000 over
1 MiB), and for 20 000 files ten times larger, runs ``scan_tree`` (streams ``ls-tree`` and
``cat-file --batch``, keeps only the entries) and reports the tracemalloc peak (Python
allocations; git's processes excluded) per entry, next to the bytes of content streamed to tell
binary files apart: memory follows the number of entries, not the content. With tracemalloc on,
times are about twice the plain ones.

    python -m benchmarks.scm_tree [--sizes 20000,50000,100000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from shared.adapters.scm.local_git.git import GitRepository
from shared.adapters.scm.local_git.scan import scan_tree
from shared.domain.scm import ReadLimits
from tests.integration.scm.gitrepo import make_bare_repo

LIMITS = ReadLimits()


def files(count: int, lines: int) -> Iterator[tuple[str, bytes, str]]:
    for i in range(count):
        path = f"pkg{i % 50:02d}/sub{i % 7}/module_{i:06d}.py"
        if i % 1000 == 0:
            yield path + ".bin", b"\x00binary" + bytes(300), "100644"
        elif i % 5000 == 1:
            yield path + ".log", b"0123456789abcdef" * 70_000, "100644"
        else:
            yield path, f"# module {i}\n".encode() + b"x = 1\n" * lines, "100644"


def measure(repo: GitRepository, commit: str) -> tuple[float, float]:
    """tracemalloc peak (MiB) and seconds of one ``scan_tree``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        scan_tree(repo, commit, LIMITS)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,50000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    # Each size with ~370-byte files, then the first with ~3.6 KB files: same entries, 10x content.
    runs = [(count, 60) for count in sizes] + [(sizes[0], 600)]
    print(f"{'files':>8} {'streamed MB':>12} {'peak MiB':>9} {'B/entry':>8} {'s':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for count, lines in runs:
            path = make_bare_repo(Path(tmp) / f"r{count}-{lines}.git", files(count, lines))
            repo = GitRepository(path)
            commit = repo.resolve("main")
            streamed = sum(
                size for _, _, size in repo.iter_tree(commit) if size <= LIMITS.max_file_bytes
            )
            peak, elapsed = measure(repo, commit)
            per_entry = peak * 2**20 / count
            print(
                f"{count:>8} {streamed / 1e6:>12.1f} {peak:>9.1f} {per_entry:>8.0f} {elapsed:>6.2f}"
            )
            shutil.rmtree(path)


if __name__ == "__main__":
    main()
