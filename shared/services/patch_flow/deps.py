"""What the patch_flow use cases need, wired once by ``shared.bootstrap``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.domain.errors import DomainError
from shared.domain.scm import ScmConnection
from shared.domain.task import TaskStatus
from shared.ports.admin import TaskSlots
from shared.ports.approvals import ApprovalStore
from shared.ports.audit import AuditLog
from shared.ports.checkout import CheckoutLimits, RepositoryCheckout
from shared.ports.connections import ConnectionDirectory
from shared.ports.repo_index import RepoKey
from shared.ports.sandbox import NetworkPolicy, Sandbox
from shared.ports.scm import Scm
from shared.ports.tasks import TaskStore
from shared.ports.tenants import TenantDirectory
from shared.ports.trigger_access import TriggerAccessStore
from shared.services.llm_hub import LlmHub
from shared.services.repo_index import KeptIndex, RepoIndexes

ACTOR = "ai-code-agent"


@dataclass(frozen=True)
class PatchFlowDeps:
    tasks: TaskStore
    tenants: TenantDirectory
    audit: AuditLog
    approvals: ApprovalStore
    connections: ConnectionDirectory
    access: TriggerAccessStore
    scm_for: Callable[[ScmConnection], Scm]
    llm: LlmHub
    work_dir: Path
    public_base_url: str
    slots: TaskSlots
    slot_retry_s: float
    checkout_for: Callable[[ScmConnection], RepositoryCheckout]
    sandbox: Sandbox
    #: Per-repository dependency caches (what ``setup:`` installed), by lock-file hash.
    dependency_cache_dir: Path
    #: What setup commands get: the network locally, none where the sandbox has no egress.
    setup_network: NetworkPolicy = NetworkPolicy.SETUP
    #: Bounds of a checkout; larger repositories are checked out sparsely or left unchecked.
    checkout_limits: CheckoutLimits = field(default_factory=CheckoutLimits)
    #: The kept per-repository indexes (``None``: every task builds its own).
    repo_indexes: RepoIndexes | None = None

    def scm(self, task: dict[str, Any]) -> Scm:
        return self.scm_for(
            self.connections.get(task["tenant"], task["provider"], task["repository"])
        )

    def checkout(self, task: dict[str, Any]) -> RepositoryCheckout:
        return self.checkout_for(
            self.connections.get(task["tenant"], task["provider"], task["repository"])
        )

    def record(
        self,
        task: dict[str, Any],
        kind: str,
        data: dict[str, Any],
        *,
        status: TaskStatus | None = None,
        step: str | None = None,
        lineage: dict[str, Any] | None = None,
        also: Callable[[Any], None] | None = None,
        **fields: Any,
    ) -> None:
        """One tenant transaction that updates the task, appends its audit event and runs
        ``also`` (more writes that must commit with them)."""
        with self.tasks.transaction(self.tenants.locate(task["tenant"])) as tx:
            self.tasks.update(tx, task["id"], status=status, step=step, lineage=lineage, **fields)
            self.audit.append(tx, kind=kind, actor=ACTOR, data=data, task_id=task["id"])
            if also is not None:
                also(tx)


def kept_index(deps: PatchFlowDeps, task: dict[str, Any], commit: str) -> KeptIndex | None:
    """The task's repository's kept index at ``commit`` (updated first when a recorded push
    brought that commit), or ``None``: the task then builds its index from the files it reads.
    A store or SCM failure falls back the same way: the kept index only saves work."""
    # getattr: flows' unit tests pass duck-typed deps that know nothing of kept indexes
    indexes: RepoIndexes | None = getattr(deps, "repo_indexes", None)
    if indexes is None:
        return None
    key = RepoKey(task["tenant"], task["provider"], task["repository"])
    try:
        return indexes.at_commit(key, commit)
    except DomainError:
        logging.getLogger(__name__).exception("kept index of %s unavailable", key.repository)
        return None
