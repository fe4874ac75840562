"""The patch flow's context step with kept indexes: at the task's commit it answers (after
updating the few changed files when a recorded push brought that commit), its lineage names the
kept index and commit, and the recorded pushes' messages rank through the history signal; at
another commit the task builds as before."""

from __future__ import annotations

from typing import Any

from shared.domain.scm import SourceItem
from shared.domain.task import SourceKind
from shared.ports.repo_index import MemoryRepoIndexStore, PastChange, RepoKey
from shared.ports.scm import Scm
from shared.ports.scm.fake import FakeScm
from shared.services.patch_flow.steps import gather_context
from shared.services.repo_index import RepoIndexes

TASK = {"id": "t1", "tenant": "acme", "provider": "github", "repository": "acme/app",
        "source_kind": "issue", "source_id": "1", "instruction": ""}  # fmt: skip
KEY = RepoKey("acme", "github", "acme/app")
PLAN = {"base_branch": "main", "context_budget_tokens": 4000, "edit_format": "diff"}
FILES = {
    "app/first.py": b"def call_first(gateway):\n    return gateway.retry()\n",
    "app/second.py": b"def call_second(gateway):\n    return gateway.retry()\n",
}


class Deps:
    def __init__(self, scm: Scm, indexes: RepoIndexes) -> None:
        self._scm, self.repo_indexes = scm, indexes
        self.records: list[dict[str, Any]] = []

    def scm(self, task: dict[str, Any]) -> Scm:
        return self._scm

    def record(self, task: dict[str, Any], kind: str, data: dict[str, Any], **kw: Any) -> None:
        self.records.append(kw["lineage"])


class CountingScm(FakeScm):
    reads: int = 0

    def read_file(self, tenant: str, ref: str, path: str) -> Any:
        self.reads += 1
        return super().read_file(tenant, ref, path)


def _world() -> tuple[CountingScm, MemoryRepoIndexStore, Deps, str]:
    fake = CountingScm("acme")
    fake.items[(SourceKind.ISSUE, "1")] = SourceItem(
        SourceKind.ISSUE, "1", "The gateway is flaky", "retry fails", "octocat"
    )
    fake.branches["main"] = dict(FILES)
    head = fake.list_tree("acme", "main").commit_sha
    fake.branches[head] = dict(FILES)
    store = MemoryRepoIndexStore()
    indexes = RepoIndexes(store, None, lambda key: fake.as_scm().repository)  # type: ignore[arg-type]
    return fake, store, Deps(fake.as_scm(), indexes), head


def test_a_task_after_a_push_uses_the_kept_index_and_its_history() -> None:
    fake, store, deps, head = _world()
    store.want(KEY, head, [PastChange("Fix the flaky gateway retry", ("app/second.py",))])
    gather_context(deps, TASK, PLAN)  # type: ignore[arg-type]
    lineage = deps.records[-1]
    assert lineage["index"] == {"kind": "kept", "commit": head, "files": 2, "history_changes": 1}
    second = next(f for f in lineage["context_files"] if f["path"] == "app/second.py")
    assert "history #1" in second["why"]
    reads = fake.reads  # the update read both files once
    gather_context(deps, TASK, PLAN)  # type: ignore[arg-type]
    assert fake.reads == reads == 2  # a second task reads nothing


def test_a_task_at_another_commit_builds_as_before() -> None:
    fake, store, deps, head = _world()
    store.want(KEY, "some-other-commit")
    gather_context(deps, TASK, PLAN)  # type: ignore[arg-type]
    assert deps.records[-1]["index"] == {"kind": "fresh", "commit": head}
    assert fake.reads == 2 and store.files(KEY) == []
