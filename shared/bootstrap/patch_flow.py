"""The composition root's wiring of the patch flow: its use cases' dependencies, the checkouts
they work in (through the SCM egress policy) and the kept per-repository retrieval indexes."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from shared.adapters.scm.git_checkout import GitCheckout, clone_source
from shared.adapters.store.postgres.admin import PostgresTaskSlots
from shared.adapters.store.postgres.code_vectors import PostgresCodeVectors
from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.adapters.store.postgres.platform_admin import PostgresQuotas
from shared.adapters.store.postgres.repo_index import PostgresRepoIndexStore, server_has_pgvector
from shared.adapters.store.postgres.trigger_access import PostgresTriggerAccess
from shared.domain.scm import ScmConnection
from shared.ports.repo_index import RepoKey
from shared.ports.sandbox import NetworkPolicy
from shared.ports.scm import RepositoryReader
from shared.retrieval.embeddings import StaticModelEmbedder
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.repo_index import RepoIndexes

if TYPE_CHECKING:
    from shared.bootstrap import Container


def patch_flow_deps(c: Container) -> PatchFlowDeps:
    s = c.settings
    return PatchFlowDeps(
        tasks=c.tasks,
        tenants=c.tenants,
        audit=c.audit,
        approvals=c.approval_store,
        connections=PostgresConnectionDirectory(c.db),
        access=PostgresTriggerAccess(),
        scm_for=lambda connection: c.scm.for_connection(connection, c.secrets),
        llm=c.llm,
        work_dir=s.data_dir / "work",
        public_base_url=s.public_base_url,
        slots=PostgresTaskSlots(c.db, c.tenants, c.audit, PostgresQuotas(c.db)),
        slot_retry_s=s.task_slot_retry_s,
        checkout_for=partial(checkout, c),
        sandbox=c.sandbox,
        dependency_cache_dir=s.data_dir / "dependency-cache",
        setup_network=NetworkPolicy(s.sandbox_setup_network),
        repo_indexes=c.repo_indexes,
    )


def checkout(c: Container, connection: ScmConnection) -> GitCheckout:
    """A clone of the connection's repository; its URL passes the SCM egress policy."""
    c.scm.check_egress(connection)
    source = clone_source(connection, c.secrets, c.scm.local_git_root(connection.tenant))
    return GitCheckout(connection.tenant, source)


def retrieval_indexes(c: Container) -> RepoIndexes:
    """Kept per-repository retrieval indexes, read through each repository's connection;
    chunk embeddings in pgvector where the server has it."""
    connections = PostgresConnectionDirectory(c.db)

    def reader(key: RepoKey) -> RepositoryReader:
        connection = connections.get(key.tenant, key.provider, key.repository)
        return c.scm.for_connection(connection, c.secrets).repository

    store = PostgresRepoIndexStore(c.db, c.tenants)
    if not server_has_pgvector(c.db):
        return RepoIndexes(store, c.tenants, reader)
    vectors = PostgresCodeVectors(c.db, c.tenants)
    embedder = StaticModelEmbedder()
    return RepoIndexes(store, c.tenants, reader, embedder=embedder, vectors=vectors)
