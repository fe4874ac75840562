"""Reading the tree of a 20 000-file repository stays within a stated memory bound.

The bound: 16 MiB of Python allocations (tracemalloc peak) for 20 000 entries, i.e. under
840 bytes per entry, whatever the files' total size (here about 12 MB, of which the 7.5 MB within
the size limit are streamed through ``git cat-file`` to tell binary files apart). Measured: 7.4
MiB. Git's own processes are outside the bound. The wall time is printed, not asserted (about
2 s on 2 idle cores, more on a loaded machine).
"""

from __future__ import annotations

import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from shared.adapters.scm import scm_for
from shared.adapters.secrets.local import LocalSecretStore
from shared.domain.scm import ReadLimits, ScmConnection, SkipReason
from shared.domain.task import Provider
from tests.integration.scm.gitrepo import make_bare_repo

FILES = 20_000
MEMORY_BOUND_BYTES = 16 * 1024 * 1024
LIMITS = ReadLimits(max_file_bytes=1024 * 1024)


def _files():
    for i in range(FILES):
        path = f"pkg{i % 50:02d}/sub{i % 7}/module_{i:05d}.py"
        if i % 1000 == 0:
            yield (
                path.replace(".py", ".bin"),
                b"\x00\x01binary" + bytes(i % 256 for _ in range(300)),
                "100644",
            )
        elif i % 5000 == 1:
            yield path.replace(".py", ".log"), b"0123456789abcdef" * 70_000, "100644"  # 1.1 MB
        else:
            yield path, f"# module {i}\n".encode() + b"x = 1\n" * 60, "100644"


@pytest.fixture(scope="module")
def large_repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("large")
    make_bare_repo(root / "big.git", _files())
    return root


def test_listing_20000_files_stays_under_the_memory_bound_and_skips_with_reasons(
    large_repo: Path, db, tenant_directory, new_tenant
) -> None:
    tenant = new_tenant("big").slug
    scm = scm_for(
        ScmConnection(tenant, Provider.LOCAL_GIT, "big"),
        LocalSecretStore(large_repo),
        limits=LIMITS,
        db=db,
        tenants=tenant_directory,
        local_git_root=large_repo,
    )
    started = time.perf_counter()
    tracemalloc.start()
    try:
        tree = scm.repository.list_tree(tenant, "main")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started

    reasons = Counter(e.skipped for e in tree.entries)
    assert len(tree.entries) == FILES and not tree.truncated
    assert reasons[SkipReason.BINARY] == 20
    assert reasons[SkipReason.TOO_LARGE] == 4
    assert reasons[None] == FILES - 24
    print(f"\n20000-file tree: peak {peak / 2**20:.1f} MiB, {elapsed:.2f} s")
    assert peak < MEMORY_BOUND_BYTES, f"peak {peak} bytes"
