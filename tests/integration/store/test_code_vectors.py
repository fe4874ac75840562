"""Chunk embeddings in pgvector on the test PostgreSQL: replace per file, nearest first,
one tenant's vectors invisible to another."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.adapters.store.postgres.code_vectors import PostgresCodeVectors
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.tenant import Tenant
from shared.retrieval.embeddings import StaticModelEmbedder
from shared.retrieval.index import RepoIndex


@pytest.fixture(autouse=True)
def _needs_pgvector(db: Database) -> None:
    with db.connection() as conn:
        available = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        if conn.execute(available).fetchone() is None:
            pytest.skip("this PostgreSQL server has no pgvector (tenants get no code_vectors)")


def _axis(i: int) -> list[float]:
    return [1.0 if j == i else 0.0 for j in range(64)]


def test_vectors_are_replaced_per_file_and_returned_nearest_first(
    db: Database, tenant_directory: PostgresTenantDirectory, new_tenant: Callable[[str], Tenant]
) -> None:
    tenant = new_tenant("vec").slug
    store = PostgresCodeVectors(db, tenant_directory)
    store.replace_file(tenant, "acme/app", "a.py", [("a.py:1-2", _axis(0)), ("a.py:3-9", _axis(1))])
    store.replace_file(tenant, "acme/app", "b.py", [("b.py:1-4", _axis(2))])
    store.replace_file(tenant, "acme/other", "a.py", [("a.py:1-2", _axis(1))])
    near = store.nearest(tenant, "acme/app", _axis(1), 2)
    assert near[0] == ("a.py:3-9", 1.0) and near[1][1] == 0.0 and len(near) == 2
    store.replace_file(tenant, "acme/app", "a.py", [("a.py:1-5", _axis(1))])
    assert [k for k, _ in store.nearest(tenant, "acme/app", _axis(1), 5)] == [
        "a.py:1-5",
        "b.py:1-4",
    ]
    store.replace_file(tenant, "acme/app", "a.py", [])
    assert [k for k, _ in store.nearest(tenant, "acme/app", _axis(1), 5)] == ["b.py:1-4"]


def test_a_tenant_never_sees_another_tenants_vectors(
    db: Database, tenant_directory: PostgresTenantDirectory, new_tenant: Callable[[str], Tenant]
) -> None:
    first, second = new_tenant("vec").slug, new_tenant("vec").slug
    store = PostgresCodeVectors(db, tenant_directory)
    store.replace_file(first, "acme/app", "a.py", [("a.py:1-2", _axis(0))])
    assert store.nearest(second, "acme/app", _axis(0), 5) == []


def test_index_ranks_through_pgvector(
    db: Database, tenant_directory: PostgresTenantDirectory, new_tenant: Callable[[str], Tenant]
) -> None:
    tenant = new_tenant("vec").slug
    store = PostgresCodeVectors(db, tenant_directory)
    index = RepoIndex(embedder=StaticModelEmbedder(), vectors=store, tenant=tenant, repo="r")
    index.update({
        "mail.py": "def send_mail(recipient):\n    '''Deliver an email message.'''\n",
        "math.py": "def add(a, b):\n    return a + b\n",
    })  # fmt: skip
    hits = index.rank_chunks("deliver email", k=5)
    assert hits[0].id == "mail.py:1-2" and any(w.startswith("embedding") for w in hits[0].why)
    index.update({"mail.py": None})
    assert [k for k, _ in store.nearest(tenant, "r", _axis(0), 5)] == ["math.py:1-2"]
