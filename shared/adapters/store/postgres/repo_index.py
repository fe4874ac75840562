"""The kept retrieval index and recorded pushes in the tenant's database (migration 0210).

Every call is a tenant transaction as the tenant's role. ``updating`` takes a transaction-scoped
advisory lock on the repository's key first: concurrent updaters of one repository run one after
the other (the second then finds the index current and reads nothing), those of different
repositories in parallel. ``insert_push`` runs inside intake's transaction, so a push's commits
are recorded exactly when its delivery is claimed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from shared.adapters.store.postgres.database import Conn, Database
from shared.policies.triggers.pushes import Push
from shared.ports.repo_index import (
    IndexedFile,
    IndexState,
    PastChange,
    RepoIndexStore,
    RepoIndexTx,
    RepoKey,
)
from shared.ports.tenants import TenantDirectory

_KEY = "provider = %s AND repository = %s"


def insert_push(conn: Conn, push: Push, delivery_id: str) -> int:
    """Record the push's commits and make its head the repository's wanted commit; returns the
    push's id (its last commit row's; a push listing no commits still gets one row)."""
    commits = push.commits or ()
    rows = [(c.id, c.message, list(c.paths)) for c in commits] or [(push.after, "", [])]
    last = 0
    for commit_id, message, paths in rows:
        got = conn.execute(
            "INSERT INTO repo_pushes (provider, repository, delivery_id, after_sha, commit_id,"
            " message, paths, paths_listed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                push.provider.value,
                push.repository,
                delivery_id,
                push.after,
                commit_id,
                message,
                paths,
                push.paths_listed,
            ),
        ).fetchone()
        assert got is not None
        last = _int(got["id"])
    conn.execute(
        "INSERT INTO repo_indexes (provider, repository, wanted_commit, wanted_push)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (provider, repository) DO UPDATE SET"
        " wanted_commit = EXCLUDED.wanted_commit, wanted_push = EXCLUDED.wanted_push"
        " WHERE repo_indexes.wanted_push < EXCLUDED.wanted_push",
        (push.provider.value, push.repository, push.after, last),
    )
    return last


def server_has_pgvector(db: Database) -> bool:
    """Whether tenants get ``code_vectors`` (migration 0101 creates it only with pgvector)."""
    with db.connection() as conn:
        found = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return found.fetchone() is not None


def _state(conn: Conn, key: RepoKey) -> IndexState:
    row = conn.execute(
        f"SELECT indexed_commit, indexed_push, wanted_commit, wanted_push FROM repo_indexes"
        f" WHERE {_KEY}",
        (key.provider, key.repository),
    ).fetchone()
    if row is None:
        return IndexState(None, 0, None, 0)
    return IndexState(
        _opt(row["indexed_commit"]),
        _int(row["indexed_push"]),
        _opt(row["wanted_commit"]),
        _int(row["wanted_push"]),
    )


def _int(value: Any) -> int:
    return int(value)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


class _Tx(RepoIndexTx):
    def __init__(self, conn: Conn, key: RepoKey) -> None:
        self._conn, self._key = conn, key
        self._params = (key.provider, key.repository)

    def state(self) -> IndexState:
        return _state(self._conn, self._key)

    def blob_shas(self) -> dict[str, str]:
        rows = self._conn.execute(
            f"SELECT path, blob_sha FROM repo_index_files WHERE {_KEY}", self._params
        ).fetchall()
        return {str(r["path"]): str(r["blob_sha"]) for r in rows}

    def put(self, files: Sequence[IndexedFile]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO repo_index_files (provider, repository, path, blob_sha, body)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (provider, repository, path)"
                " DO UPDATE SET blob_sha = EXCLUDED.blob_sha, body = EXCLUDED.body",
                [(*self._params, f.path, f.blob_sha, f.text) for f in files],
            )

    def delete(self, paths: Iterable[str]) -> None:
        self._conn.execute(
            f"DELETE FROM repo_index_files WHERE {_KEY} AND path = ANY(%s)",
            (*self._params, list(paths)),
        )

    def set_indexed(self, commit: str, push: int) -> None:
        self._conn.execute(
            "INSERT INTO repo_indexes (provider, repository, indexed_commit, indexed_push)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (provider, repository) DO UPDATE SET"
            " indexed_commit = EXCLUDED.indexed_commit, indexed_push = EXCLUDED.indexed_push,"
            " updated_at = now()",
            (*self._params, commit, push),
        )

    def fill_push_paths(self, up_to_push: int, paths: Sequence[str]) -> None:
        self._conn.execute(
            f"UPDATE repo_pushes SET paths = %s WHERE {_KEY} AND NOT paths_listed"
            " AND paths = '{}' AND id <= %s",
            (list(paths), *self._params, up_to_push),
        )


def _paths(value: Any) -> list[str]:
    return [str(p) for p in value or ()]


class PostgresRepoIndexStore(RepoIndexStore):
    def __init__(self, db: Database, tenants: TenantDirectory) -> None:
        self._db, self._tenants = db, tenants

    @contextmanager
    def _conn(self, key: RepoKey) -> Iterator[Conn]:
        with self._db.tenant_transaction(self._tenants.locate(key.tenant)) as tx:
            yield tx.conn

    @contextmanager
    def updating(self, key: RepoKey) -> Iterator[RepoIndexTx]:
        with self._conn(key) as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 210))",
                (f"repo-index\n{key.provider}\n{key.repository}",),
            )
            yield _Tx(conn, key)

    def state(self, key: RepoKey) -> IndexState:
        with self._conn(key) as conn:
            return _state(conn, key)

    def files(self, key: RepoKey) -> list[IndexedFile]:
        with self._conn(key) as conn:
            rows = conn.execute(
                f"SELECT path, blob_sha, body FROM repo_index_files WHERE {_KEY} ORDER BY path",
                (key.provider, key.repository),
            ).fetchall()
        return [IndexedFile(str(r["path"]), str(r["blob_sha"]), str(r["body"])) for r in rows]

    def changes(self, key: RepoKey, limit: int) -> list[PastChange]:
        with self._conn(key) as conn:
            rows = conn.execute(
                f"SELECT message, paths FROM repo_pushes WHERE {_KEY} ORDER BY id DESC LIMIT %s",
                (key.provider, key.repository, limit),
            ).fetchall()
        return [PastChange(str(r["message"]), tuple(_paths(r["paths"]))) for r in reversed(rows)]

    def pending(self, tenant: str) -> list[RepoKey]:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            rows = tx.conn.execute(
                "SELECT provider, repository FROM repo_indexes WHERE wanted_push > indexed_push"
                " ORDER BY provider, repository"
            ).fetchall()
        return [RepoKey(tenant, str(r["provider"]), str(r["repository"])) for r in rows]
