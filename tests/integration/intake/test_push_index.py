"""Push webhooks of the three SCMs (real fixtures, re-signed) feed the kept repository index:
commits recorded, only touched files re-read, removed files gone, other branches and other
tenants untouched, replays refused, history ranking, concurrent updates converging."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from shared.adapters.store.postgres.code_vectors import PostgresCodeVectors
from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.repo_index import PostgresRepoIndexStore, server_has_pgvector
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.errors import DomainError, ScmNotFound
from shared.domain.scm import ScmConnection
from shared.domain.task import Provider
from shared.ports.repo_index import RepoKey
from shared.ports.scm.fake import FakeScm
from shared.retrieval.embeddings import StaticModelEmbedder
from shared.services.intake import Outcome
from shared.services.repo_index import RepoIndexes
from tests.integration.intake.conftest import Intake
from tests.unit.intake.deliveries import fixture, with_delivery_id

GITHUB_REPO = "Codertocat/Hello-World"


class CountingScm(FakeScm):
    """The fake SCM, counting the files read."""

    reads: list[str]

    def read_file(self, tenant: str, ref: str, path: str) -> Any:
        self.reads.append(path)
        return super().read_file(tenant, ref, path)


def _scm(tenant: str) -> CountingScm:
    scm = CountingScm(tenant=tenant)
    scm.reads = []
    return scm


def _head(scm: FakeScm, files: dict[str, bytes]) -> str:
    """Put ``files`` at a commit of the fake repository and return the commit's sha."""
    scm.branches["probe"] = files
    sha = scm.list_tree(scm.tenant, "probe").commit_sha
    scm.branches[sha] = files
    return sha


def _github_push(after: str, commits: list[tuple[str, list[str], list[str]]],
                 ref: str = "refs/heads/master") -> Any:  # fmt: skip
    item = fixture("github/push/payload.json")
    payload = item.payload()
    payload.update(ref=ref, after=after, deleted=False, created=False)
    payload["commits"] = [
        {"id": uuid.uuid4().hex, "message": m, "added": [], "modified": p, "removed": r}
        for m, p, r in commits
    ]
    return item.with_payload(payload)


def _setup(
    make_intake: Callable[..., Intake], db: Database
) -> tuple[Intake, PostgresConnectionDirectory]:
    connections = PostgresConnectionDirectory(db)
    return make_intake(connections=connections), connections


def _indexes(
    db: Database, directory: PostgresTenantDirectory, scms: dict[str, FakeScm]
) -> RepoIndexes:
    def reader(key: RepoKey) -> Any:
        if key.tenant not in scms:  # other tests' tenants: their update fails and is skipped
            raise ScmNotFound(f"no repository of {key.tenant}")
        return scms[key.tenant].as_scm().repository

    return RepoIndexes(PostgresRepoIndexStore(db, directory), directory, reader)


FILES = {
    "pkg/alpha.py": b"def alpha():\n    return 1\n",
    "pkg/beta.py": b"def beta():\n    return 2\n",
    "pkg/zeta.py": b"def frob():\n    return 3\n",
    "README.md": b"# demo\n",
}


def test_github_push_updates_only_touched_files_and_removes_deleted_ones(
    make_intake: Callable[..., Intake], db: Database, tenant_directory: PostgresTenantDirectory
) -> None:
    intake, connections = _setup(make_intake, db)
    tenant = intake.tenant()
    connections.register(ScmConnection(tenant, Provider.GITHUB, GITHUB_REPO))
    scm = _scm(tenant)
    indexes = _indexes(db, tenant_directory, {tenant: scm})
    key = RepoKey(tenant, "github", GITHUB_REPO)
    first = _head(scm, FILES)
    result = intake.send(tenant, _github_push(first, [("Initial import", list(FILES), [])]))
    assert result.outcome is Outcome.RECORDED
    assert len(intake.tenant_rows(tenant, "SELECT * FROM repo_pushes")) == 1
    report = indexes.update(key)
    assert sorted(scm.reads) == sorted(FILES) and report.commit == first
    assert indexes.update(key).skipped == "current"  # idempotent: nothing re-read
    assert len(scm.reads) == len(FILES)

    second_files = {**FILES, "pkg/alpha.py": b"def alpha():\n    return 10\n"}
    del second_files["pkg/beta.py"]
    second = _head(scm, second_files)
    scm.reads.clear()
    push = _github_push(
        second, [("Fix the frobnicator timeout", ["pkg/alpha.py"], ["pkg/beta.py"])]
    )
    assert intake.send(tenant, push).outcome is Outcome.RECORDED
    kept = indexes.at_commit(key, second)  # the task path updates first
    assert kept is not None and kept.commit == second
    assert scm.reads == ["pkg/alpha.py"]
    rows = intake.tenant_rows(tenant, "SELECT path FROM repo_index_files ORDER BY path")
    assert [r["path"] for r in rows] == ["README.md", "pkg/alpha.py", "pkg/zeta.py"]
    hits = kept.index.rank_files("frobnicator timeout", k=3)
    assert hits[0].id == "pkg/alpha.py" and any(w.startswith("history") for w in hits[0].why)


def test_other_branch_replay_forgery_and_unconnected_change_nothing(
    make_intake: Callable[..., Intake], db: Database, tenant_directory: PostgresTenantDirectory
) -> None:
    intake, connections = _setup(make_intake, db)
    tenant, other = intake.tenant(), intake.tenant()
    connections.register(ScmConnection(tenant, Provider.GITHUB, GITHUB_REPO))
    side = intake.send(tenant, _github_push("a" * 40, [("wip", ["x.py"], [])], "refs/heads/dev"))
    assert (side.outcome, side.reason) == (Outcome.IGNORED, "not-default-branch")
    unconnected = intake.send(other, _github_push("b" * 40, [("m", ["x.py"], [])]))
    assert (unconnected.outcome, unconnected.reason) == (
        Outcome.IGNORED,
        "repository-not-connected",
    )
    push = _github_push("c" * 40, [("m", ["x.py"], [])])
    delivery = str(uuid.uuid4())
    assert intake.send(tenant, push, delivery_id=delivery).outcome is Outcome.RECORDED
    assert intake.send(tenant, push, delivery_id=delivery).outcome is Outcome.DUPLICATE
    forged = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "f1",
        "X-Hub-Signature-256": "sha256=00",
    }
    with pytest.raises(DomainError):
        intake.send(tenant, push, headers=forged)
    assert len(intake.tenant_rows(tenant, "SELECT * FROM repo_pushes")) == 1
    assert intake.tenant_rows(other, "SELECT * FROM repo_pushes") == []
    # the other tenant connecting the same repository records into its own database only
    connections.register(ScmConnection(other, Provider.GITHUB, GITHUB_REPO))
    assert intake.send(other, _github_push("d" * 40, [("m", ["y.py"], [])])).outcome is (
        Outcome.RECORDED
    )
    mine = intake.tenant_rows(tenant, "SELECT after_sha FROM repo_pushes")
    assert [r["after_sha"] for r in mine] == ["c" * 40]
    state = "SELECT wanted_commit FROM repo_indexes"
    assert [r["wanted_commit"] for r in intake.tenant_rows(tenant, state)] == ["c" * 40]
    assert [r["wanted_commit"] for r in intake.tenant_rows(other, state)] == ["d" * 40]


@pytest.mark.parametrize(
    ("path", "repository", "listed"),
    [
        ("gitlab/push_hook/gitlab4j.push-event.json", "mike/diaspora", True),
        ("azure-devops/git.push.json", "Fabrikam-Fiber-Git/Fabrikam-Fiber-Git", False),
    ],
)
def test_gitlab_and_azure_devops_pushes_record_commits_and_update_the_index(
    make_intake: Callable[..., Intake], db: Database, tenant_directory: PostgresTenantDirectory,
    path: str, repository: str, listed: bool,
) -> None:  # fmt: skip
    intake, connections = _setup(make_intake, db)
    tenant = intake.tenant()
    item = with_delivery_id(fixture(path), str(uuid.uuid4()))
    provider = item.provider
    connections.register(ScmConnection(tenant, provider, repository))
    payload = item.payload()
    after = (payload["after"] if provider is Provider.GITLAB
             else payload["resource"]["refUpdates"][0]["newObjectId"])  # fmt: skip
    scm = _scm(tenant)
    scm.branches[after] = FILES
    _head(scm, FILES)  # reads go to the listed commit
    assert intake.send(tenant, item).outcome is Outcome.RECORDED
    pushes = intake.tenant_rows(tenant, "SELECT * FROM repo_pushes ORDER BY id")
    commits = payload["commits"] if provider is Provider.GITLAB else payload["resource"]["commits"]
    assert len(pushes) == len(commits) and all(p["paths_listed"] is listed for p in pushes)
    indexes = _indexes(db, tenant_directory, {tenant: scm})
    (report,) = [r for r in indexes.update_pending() if r.key.tenant == tenant]
    assert sorted(report.read) == sorted(FILES)
    if not listed:  # Azure DevOps lists no paths: the update fills in what it found changed
        pushes = intake.tenant_rows(tenant, "SELECT paths FROM repo_pushes")
        assert all(sorted(p["paths"]) == sorted(FILES) for p in pushes)


def test_concurrent_updates_converge_and_read_each_file_once(
    make_intake: Callable[..., Intake], db: Database, tenant_directory: PostgresTenantDirectory
) -> None:
    intake, connections = _setup(make_intake, db)
    tenant = intake.tenant()
    connections.register(ScmConnection(tenant, Provider.GITHUB, GITHUB_REPO))
    scm = _scm(tenant)
    head = _head(scm, FILES)
    intake.send(tenant, _github_push(head, [("import", list(FILES), [])]))
    indexes = _indexes(db, tenant_directory, {tenant: scm})
    key = RepoKey(tenant, "github", GITHUB_REPO)
    reports: list[Any] = []
    threads = [
        threading.Thread(target=lambda: reports.append(indexes.update(key))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(scm.reads) == sorted(FILES)
    assert sorted(r.skipped for r in reports) == ["", "current", "current"]
    assert indexes.at_commit(key, head) is not None


def test_kept_index_keeps_chunk_vectors_in_pgvector_per_changed_file(
    make_intake: Callable[..., Intake], db: Database, tenant_directory: PostgresTenantDirectory
) -> None:
    if not server_has_pgvector(db):
        pytest.skip("this PostgreSQL server has no pgvector (tenants get no code_vectors)")
    intake, connections = _setup(make_intake, db)
    tenant = intake.tenant()
    connections.register(ScmConnection(tenant, Provider.GITHUB, GITHUB_REPO))
    scm = _scm(tenant)
    vectors = PostgresCodeVectors(db, tenant_directory)
    store = PostgresRepoIndexStore(db, tenant_directory)
    indexes = RepoIndexes(store, tenant_directory, lambda key: scm.as_scm().repository,
                          embedder=StaticModelEmbedder(), vectors=vectors)  # fmt: skip
    key = RepoKey(tenant, "github", GITHUB_REPO)
    sql = "SELECT path, chunk_key FROM code_vectors WHERE repo = %s ORDER BY chunk_key"
    first = _head(scm, FILES)
    intake.send(tenant, _github_push(first, [("import", list(FILES), [])]))
    indexes.update(key)
    assert {r["path"] for r in intake.tenant_rows(tenant, sql, key.vectors_repo)} == set(FILES)
    second_files = {k: v for k, v in FILES.items() if k != "pkg/beta.py"}
    second = _head(scm, second_files)
    intake.send(tenant, _github_push(second, [("drop beta", [], ["pkg/beta.py"])]))
    kept = indexes.at_commit(key, second)
    assert kept is not None and kept.index.embedder is not None
    rows = intake.tenant_rows(tenant, sql, key.vectors_repo)
    assert {r["path"] for r in rows} == set(second_files)
    assert kept.index.rank_files("frob", k=1)[0].id == "pkg/zeta.py"
