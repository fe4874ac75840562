"""An embedded PostgreSQL 16 (+ pgvector) from the PyPI package ``pgserver``.

Used when ``DATABASE_URL`` is unset: devhost and the test suite start one under a local data
dir. ``pgserver`` shares one server between every process that asks for the same data dir and
works as root. The server keeps running across devhost restarts (``cleanup_mode=None``), so a
killed devhost finds its data where it left it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def _dir_lock(path: Path) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the embedded server under ``data_dir`` and return its libpq URL."""
    import pgserver  # heavy and local-only: imported on demand

    pgdata = data_dir.resolve()
    with _dir_lock(pgdata.parent):
        server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    return str(server.get_uri())
