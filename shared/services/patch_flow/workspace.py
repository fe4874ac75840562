"""The per-attempt workspace: a git checkout of the task's base commit, removed afterwards.

Each validation attempt gets a fresh checkout (``RepositoryCheckout``: a shallow fetch of that
one commit) in a directory of its own under ``<work dir>/<tenant>/``, which the patch is written
into and the sandbox runs in; it is removed when the attempt ends, whatever happened (the check
may have written anything there). Workspaces a killed process left behind are removed by the
tenant's next attempt once older than any attempt runs. A repository over the checkout limits
yields a workspace without a root and ``skipped_reason="too-large"`` (``"no-checkout"`` for
credentials git cannot use): the flow then reads the files it needs through the SCM API and
reports the check ``unchecked``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.domain.errors import CheckoutTooLarge, CheckoutUnsupported
from shared.patching.workspace import read_snapshot
from shared.ports.checkout import CheckoutLimits, RepositoryCheckout

#: Older than any attempt lives (checkout + setup + check are bounded well below this).
ABANDONED_AFTER_S = 6 * 3600


@dataclass(frozen=True)
class Workspace:
    root: Path | None
    skipped_reason: str | None = None
    sparse: bool = False

    def texts(self, paths: Iterable[str]) -> dict[str, str]:
        """The UTF-8 text of those of ``paths`` that are regular files inside the checkout
        (symlinks and binaries are left out)."""
        return {} if self.root is None else read_snapshot(self.root, list(paths))


@contextmanager
def checked_out(
    checkout: RepositoryCheckout,
    tenant: str,
    commit: str,
    base_dir: Path,
    limits: CheckoutLimits,
) -> Iterator[Workspace]:
    """A fresh checkout of ``commit`` for the duration of the ``with`` block."""
    parent = base_dir / tenant
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(parent)
    directory = Path(tempfile.mkdtemp(prefix=f"{commit[:12]}-", dir=parent))
    try:
        try:
            done = checkout.check_out(tenant, commit, directory, limits)
            workspace = Workspace(directory, sparse=done.sparse)
        except CheckoutTooLarge:
            workspace = Workspace(None, "too-large")
        except CheckoutUnsupported:
            workspace = Workspace(None, "no-checkout")
        yield workspace
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _remove_abandoned(parent: Path) -> None:
    cutoff = time.time() - ABANDONED_AFTER_S
    for entry in parent.iterdir():
        try:
            if entry.is_dir() and not entry.is_symlink() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except FileNotFoundError:
            continue
