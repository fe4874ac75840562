"""Chunk embeddings in pgvector (``code_vectors`` in the tenant's schema).

Each call is one tenant transaction as the tenant's role, so one tenant can neither read nor
overwrite another's vectors. Vectors travel as pgvector's text form (``[0.1,0.2,...]``), which
needs no client-side type registration.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.adapters.store.postgres.database import Database
from shared.ports.code_vectors import CodeVectors
from shared.ports.tenants import TenantDirectory


def _literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


class PostgresCodeVectors(CodeVectors):
    def __init__(self, db: Database, tenants: TenantDirectory) -> None:
        self._db, self._tenants = db, tenants

    def replace_file(
        self, tenant: str, repo: str, path: str, vectors: Sequence[tuple[str, Sequence[float]]]
    ) -> None:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            tx.conn.execute("DELETE FROM code_vectors WHERE repo = %s AND path = %s", (repo, path))
            with tx.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO code_vectors (repo, path, chunk_key, embedding)"
                    " VALUES (%s, %s, %s, %s::extensions.vector)",
                    [(repo, path, key, _literal(vector)) for key, vector in vectors],
                )

    def nearest(
        self, tenant: str, repo: str, vector: Sequence[float], k: int
    ) -> list[tuple[str, float]]:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            rows = tx.conn.execute(
                "SELECT chunk_key, 1 - (embedding OPERATOR(extensions.<=>)"
                " %s::extensions.vector) AS similarity FROM code_vectors WHERE repo = %s"
                " ORDER BY embedding OPERATOR(extensions.<=>) %s::extensions.vector, chunk_key"
                " LIMIT %s",
                (_literal(vector), repo, _literal(vector), k),
            ).fetchall()
        return [(str(r["chunk_key"]), float(r["similarity"])) for r in rows]  # type: ignore[arg-type]
