"""Approval decisions and identity links, kept in each tenant's own store.

``begin`` is one tenant transaction in which a decision is checked and recorded together with
its audit event: the task is locked, so of two concurrent decisions exactly one is recorded.
Identity links are per tenant: a link in one tenant means nothing in another.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from shared.domain.approval import ApprovalDecision, IdentityLink, TaskUnderDecision
from shared.domain.errors import NotFound


class ApprovalTx(ABC):
    @abstractmethod
    def task(self, task_id: str) -> TaskUnderDecision:
        """The task, locked until the end of the transaction, or ``NotFound``."""

    @abstractmethod
    def decision_for(self, task_id: str) -> ApprovalDecision | None:
        """The task's recorded decision, if any."""

    @abstractmethod
    def links_of(self, object_id: str) -> list[IdentityLink]:
        """The SCM identities linked to an Entra object id."""

    @abstractmethod
    def add(self, decision: ApprovalDecision) -> None:
        """Record the decision (the caller checked there is none for its task yet)."""

    @abstractmethod
    def audit(self, *, kind: str, actor: str, data: dict[str, Any], task_id: str) -> None: ...


class ApprovalStore(ABC):
    @abstractmethod
    def begin(self, tenant: str) -> AbstractContextManager[ApprovalTx]:
        """One transaction in the tenant's store: all of it commits, or none."""

    @abstractmethod
    def decision(self, tenant: str, decision_id: str) -> ApprovalDecision | None:
        """The tenant's decision with this id (``None`` for an unknown or malformed id)."""

    @abstractmethod
    def links(self, tenant: str, *, object_id: str | None = None) -> list[IdentityLink]:
        """The tenant's links (those of ``object_id`` only, when given), by provider and user."""

    @abstractmethod
    def link(self, tenant: str, link: IdentityLink) -> IdentityLink:
        """Create or replace the link of ``link.identity``, audited as ``identity.linked``."""

    @abstractmethod
    def unlink(self, tenant: str, provider: str, scm_user: str, *, actor: str) -> None:
        """Remove a link, audited as ``identity.unlinked``; ``NotFound`` when there is none."""


# --- fake for unit tests of services -----------------------------------------------------------
class FakeApprovalStore(ApprovalStore):
    """In memory, per tenant. A transaction works on copies and publishes them on success."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, TaskUnderDecision]] = {}
        self.decisions: dict[str, dict[str, ApprovalDecision]] = {}
        self.identity_links: dict[str, dict[tuple[str, str], IdentityLink]] = {}
        self.audited: list[tuple[str, str, dict[str, Any]]] = []

    @contextmanager
    def _begin(self, tenant: str) -> Iterator[ApprovalTx]:
        tx = _FakeTx(self, tenant)
        yield tx
        self.decisions.setdefault(tenant, {}).update(tx.added)
        self.audited.extend(tx.audited)

    def begin(self, tenant: str) -> AbstractContextManager[ApprovalTx]:
        return self._begin(tenant)

    def decision(self, tenant: str, decision_id: str) -> ApprovalDecision | None:
        return self.decisions.get(tenant, {}).get(decision_id)

    def links(self, tenant: str, *, object_id: str | None = None) -> list[IdentityLink]:
        found = self.identity_links.get(tenant, {}).values()
        return sorted(
            (k for k in found if object_id is None or k.object_id == object_id),
            key=lambda k: k.identity,
        )

    def link(self, tenant: str, link: IdentityLink) -> IdentityLink:
        self.identity_links.setdefault(tenant, {})[link.identity] = link
        self.audited.append((tenant, "identity.linked", link.to_json()))
        return link

    def unlink(self, tenant: str, provider: str, scm_user: str, *, actor: str) -> None:
        if self.identity_links.get(tenant, {}).pop((provider, scm_user), None) is None:
            raise NotFound("no such identity link", code="identity-link-not-found")
        self.audited.append((tenant, "identity.unlinked", {"provider": provider}))


class _FakeTx(ApprovalTx):
    def __init__(self, store: FakeApprovalStore, tenant: str) -> None:
        self._store, self._tenant = store, tenant
        self.added: dict[str, ApprovalDecision] = {}
        self.audited: list[tuple[str, str, dict[str, Any]]] = []

    def task(self, task_id: str) -> TaskUnderDecision:
        try:
            return self._store.tasks[self._tenant][task_id]
        except KeyError as exc:
            raise NotFound(f"no task {task_id!r}", code="task-not-found") from exc

    def decision_for(self, task_id: str) -> ApprovalDecision | None:
        known = [*self._store.decisions.get(self._tenant, {}).values(), *self.added.values()]
        return next((d for d in known if d.task_id == task_id), None)

    def links_of(self, object_id: str) -> list[IdentityLink]:
        return self._store.links(self._tenant, object_id=object_id)

    def add(self, decision: ApprovalDecision) -> None:
        self.added[decision.id] = decision

    def audit(self, *, kind: str, actor: str, data: dict[str, Any], task_id: str) -> None:
        self.audited.append((self._tenant, kind, data))
