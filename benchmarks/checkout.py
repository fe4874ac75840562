"""Benchmark: the check's workspace, a git checkout against the old file-by-file copy.

For repositories of 2 000 and 20 000 files (about 400 bytes each) in a local_git bare
repository, measures ``GitCheckout`` (shallow fetch of the commit + checkout: what every check
now gets) and, as the baseline in the same run, the copy the flow used to build: one
``RepositoryReader.read_file`` per file, written out one by one (which also lost executable bits
and skipped binaries). Prints seconds, files, disk used, and the ratio baseline / checkout.

    python -m benchmarks.checkout [--sizes 2000,20000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from shared.adapters.scm.git_checkout import GitCheckout, clone_source
from shared.adapters.scm.local_git.adapter import LocalGit, LocalGitReader
from shared.adapters.scm.local_git.records import LocalIssues
from shared.domain.scm import ReadLimits, ScmConnection
from shared.domain.task import Provider
from shared.ports.checkout import CheckoutLimits
from tests.integration.scm.gitrepo import git, make_bare_repo


def _files(count: int) -> dict[str, bytes]:
    body = b"x = 1\n" * 64
    return {f"pkg{i % 50:02d}/sub{i % 7}/m_{i:06d}.py": b"# %d\n" % i + body for i in range(count)}


def _disk(root: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in root.rglob("*"))


def _file_by_file(reader: LocalGitReader, commit: str, target: Path) -> int:
    tree = reader.list_tree("bench", commit)
    for entry in tree.entries:
        content = reader.read_file("bench", commit, entry.path)
        if content.text is not None:
            path = target / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.text.encode())
    return len(tree.entries)


def measure(count: int, work: Path) -> None:
    root = work / f"git-{count}"
    bare = make_bare_repo(root / "demo.git", _files(count))
    commit = git(bare, "rev-parse", "main").decode().strip()
    connection = ScmConnection("bench", Provider.LOCAL_GIT, "demo", base_url=str(root))
    checkout = GitCheckout("bench", clone_source(connection, None, None))
    started = time.perf_counter()
    done = checkout.check_out("bench", commit, work / f"ws-{count}", CheckoutLimits())
    checkout_s = time.perf_counter() - started
    disk = _disk(done.root)
    local = LocalGit(connection, LocalIssues(None, None), root)  # type: ignore[arg-type]
    reader = LocalGitReader(local, ReadLimits())
    started = time.perf_counter()
    copied = _file_by_file(reader, commit, work / f"copy-{count}")
    baseline_s = time.perf_counter() - started
    print(
        f"{count:>7} files | checkout {checkout_s:6.2f} s, {done.files} files, "
        f"{disk / 2**20:6.1f} MiB on disk (with .git) | file-by-file {baseline_s:6.2f} s "
        f"({copied} reads) | ratio {baseline_s / checkout_s:5.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    try:
        for count in sizes:
            measure(count, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
