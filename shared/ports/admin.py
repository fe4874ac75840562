"""What the admin API reads and changes in a tenant's store beyond tasks' own flow.

Rows cross these ports as JSON-able dicts shaped like the API's models (``shared.api.models``).
Every method takes the tenant explicitly and runs in that tenant's store (its own role), so a
query can never see another tenant's rows; every change is audited in the same transaction.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.domain.audit import canonical_json
from shared.domain.errors import Conflict, NotFound


@dataclass(frozen=True)
class Page:
    """Keyset paging: rows after ``after`` (an opaque key from the last page), at most ``limit``."""

    after: tuple[Any, ...] | None = None
    limit: int = 50


@dataclass(frozen=True)
class TaskFilter:
    status: str | None = None
    requester: str | None = None
    repository: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None
    actor: str | None = None
    task_id: str | None = None


class Recorder(Protocol):
    def __call__(self, *, kind: str, actor: str, data: dict[str, Any]) -> None: ...


class RoleAssignments(ABC):
    @abstractmethod
    def roles_of(self, tenant: str, object_id: str) -> frozenset[str]:
        """The roles the tenant assigned to an Entra object id."""

    @abstractmethod
    def list(self, tenant: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def assign(self, tenant: str, object_id: str, role: str, *, actor: str) -> dict[str, Any]:
        """Grant (idempotent), audited as ``role.assigned``."""

    @abstractmethod
    def revoke(self, tenant: str, object_id: str, role: str, *, actor: str) -> None:
        """Revoke, audited as ``role.revoked``; ``NotFound`` when not assigned."""


def add_call_usage(day: dict[str, Any], share: dict[str, Any]) -> None:
    """Add one provider and model's LLM usage (``provider``, ``model``, ``llm_calls``,
    ``input_tokens``, ``output_tokens``, ``cost_usd``) to a usage day: to its totals and to its
    ``models`` split (one entry per provider and model)."""
    for key in ("llm_calls", "input_tokens", "output_tokens", "cost_usd"):
        day[key] += share[key]
    for entry in day["models"]:
        if (entry["provider"], entry["model"]) == (share["provider"], share["model"]):
            for key in ("llm_calls", "input_tokens", "output_tokens", "cost_usd"):
                entry[key] += share[key]
            return
    day["models"].append(dict(share))


class AdminReads(ABC):
    @abstractmethod
    def tasks(self, tenant: str, where: TaskFilter, page: Page) -> list[dict[str, Any]]:
        """Newest first; each row carries ``_key`` for the next page."""

    @abstractmethod
    def task(self, tenant: str, task_id: str) -> dict[str, Any]:
        """The task row with its lineage, or ``NotFound`` (``task-not-found``)."""

    @abstractmethod
    def llm_calls(self, tenant: str, task_id: str) -> list[dict[str, Any]]:
        """The task's LLM lineage rows (never their transcripts), oldest first."""

    @abstractmethod
    def awaiting_decision(self, tenant: str) -> list[dict[str, Any]]:
        """Tasks waiting for approval with no recorded decision, oldest first."""

    @abstractmethod
    def audit_events(self, tenant: str, where: AuditFilter, page: Page) -> list[dict[str, Any]]:
        """In chain order; each row carries ``_key`` for the next page."""

    @abstractmethod
    def usage(
        self, tenant: str, since: datetime | None, until: datetime | None
    ) -> list[dict[str, Any]]:
        """Per UTC day: LLM calls, tokens and cost from the LLM lineage rows (in all, and per
        provider and model in ``models``, see ``add_call_usage``), tasks received by outcome,
        and the average lead time of the tasks that finished."""

    @abstractmethod
    def cancel(self, tenant: str, task_id: str, *, actor: str) -> dict[str, Any]:
        """Mark an active task cancelled (audited ``task.cancelled``); ``Conflict``
        (``task-finished``) when it already ended."""

    @abstractmethod
    def record(self, tenant: str, *, kind: str, actor: str, data: dict[str, Any]) -> None:
        """Append an event to the tenant's audit chain (a change made elsewhere)."""

    @abstractmethod
    def exclusive(self, tenant: str, name: str) -> AbstractContextManager[Recorder]:
        """Hold the tenant's lock ``name`` until the block ends, and audit through the
        ``Recorder`` it gives, in the same transaction: read-compare-write under it is atomic
        against every other holder (the policies' If-Match)."""


class TaskSlots(ABC):
    """The tenant's ``max_concurrent_tasks``: how many of its tasks may run at once."""

    @abstractmethod
    def claim(self, tenant: str, task_id: str) -> bool:
        """Mark the task running if fewer than the quota are (``True``), else leave it queued
        (``False``). Claims of one tenant are serialised, so the quota is never overshot.
        Tasks waiting for approval or finished hold no slot."""


class StaleVersion(Exception):
    """The row changed since the caller read it; carries the current values."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("stale version")
        self.current = current


def version_of(values: dict[str, Any]) -> str:
    """A strong version of a JSON-able value (what the API sends as its ETag)."""
    return hashlib.sha256(canonical_json(values).encode()).hexdigest()[:32]


class Quotas(ABC):
    """Per-tenant quotas and budgets, and the platform's record of admin changes."""

    @abstractmethod
    def get(self, tenant: str) -> dict[str, Any]:
        """The tenant's quotas, or ``TenantNotFound``."""

    @abstractmethod
    def update(
        self, tenant: str, values: dict[str, Any], *, version: str, actor: str
    ) -> dict[str, Any]:
        """Replace the quotas if they are still at ``version`` (else ``StaleVersion``), and
        record the change with its actor in the same transaction."""

    @abstractmethod
    def record(self, actor: str, kind: str, tenant: str, data: dict[str, Any]) -> None:
        """Record a platform change (it outlives a deprovisioned tenant)."""


class ConnectionListing(ABC):
    """The tenant's SCM connections by id (registering one: ``ConnectionDirectory``)."""

    @abstractmethod
    def list(self, tenant: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def get(self, tenant: str, connection_id: int) -> dict[str, Any]:
        """The connection, or ``NotFound`` (code ``connection-not-found``)."""


# --- fakes for unit tests of services ------------------------------------------------------------
class FakeAdminReads(AdminReads):
    """In memory, per tenant: ``tasks[tenant][id]`` rows (as the API shows them, with
    ``lineage``), ``calls[tenant]`` LLM lineage rows, ``events[tenant]`` audit rows."""

    def __init__(self) -> None:
        self.tasks_by_tenant: dict[str, dict[str, dict[str, Any]]] = {}
        self.calls: dict[str, list[dict[str, Any]]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.decided: set[tuple[str, str]] = set()

    def tasks(self, tenant: str, where: TaskFilter, page: Page) -> list[dict[str, Any]]:
        rows = sorted(
            self.tasks_by_tenant.get(tenant, {}).values(),
            key=lambda r: (r["created_at"], r["id"]),
            reverse=True,
        )
        keep = [
            {**r, "_key": (r["created_at"].isoformat(), r["id"])}
            for r in rows
            if where.status in (None, r["status"]) and where.requester in (None, r["requester"])
        ]
        return keep[: page.limit]

    def task(self, tenant: str, task_id: str) -> dict[str, Any]:
        try:
            return dict(self.tasks_by_tenant[tenant][task_id])
        except KeyError as exc:
            raise NotFound(f"no task {task_id!r}", code="task-not-found") from exc

    def llm_calls(self, tenant: str, task_id: str) -> list[dict[str, Any]]:
        return [c for c in self.calls.get(tenant, []) if c["task_id"] == task_id]

    def awaiting_decision(self, tenant: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.tasks_by_tenant.get(tenant, {}).values()
            if r["status"] == "awaiting_approval" and (tenant, r["id"]) not in self.decided
        ]

    def audit_events(self, tenant: str, where: AuditFilter, page: Page) -> list[dict[str, Any]]:
        rows = [e for e in self.events.get(tenant, []) if where.kind in (None, e["kind"])]
        return [{**e, "_key": (e["seq"],)} for e in rows][: page.limit]

    def usage(
        self, tenant: str, since: datetime | None, until: datetime | None
    ) -> list[dict[str, Any]]:
        days: dict[str, dict[str, Any]] = {}
        for call in self.calls.get(tenant, []):
            day = days.setdefault(
                call["occurred_at"].date().isoformat(),
                {"llm_calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0,
                 "tasks_by_outcome": {}, "_lead": 0.0, "_finished": 0, "models": []},
            )  # fmt: skip
            share = {k: call[k] for k in ("provider", "model", "input_tokens", "output_tokens")}
            add_call_usage(day, {**share, "llm_calls": 1, "cost_usd": call["cost_usd"]})
        return [{"day": d, **v} for d, v in sorted(days.items())]

    def cancel(self, tenant: str, task_id: str, *, actor: str) -> dict[str, Any]:
        row = self.tasks_by_tenant[tenant][task_id]
        if row["status"] not in ("queued", "running", "awaiting_approval"):
            raise Conflict(f"task {task_id!r} is already {row['status']}", code="task-finished")
        row["status"] = "cancelled"
        self.record(tenant, kind="task.cancelled", actor=actor, data={})
        return dict(row)

    def record(self, tenant: str, *, kind: str, actor: str, data: dict[str, Any]) -> None:
        events = self.events.setdefault(tenant, [])
        events.append({"seq": len(events) + 1, "kind": kind, "actor": actor, "data": data})

    @contextmanager
    def _exclusive(self, tenant: str) -> Iterator[Recorder]:
        def record(*, kind: str, actor: str, data: dict[str, Any]) -> None:
            self.record(tenant, kind=kind, actor=actor, data=data)

        yield record

    def exclusive(self, tenant: str, name: str) -> AbstractContextManager[Recorder]:
        return self._exclusive(tenant)
