"""The reconciler: no task is left stuck. Run by a timer (``functions/maintenance.py``).

Intake commits a task before it starts the task's orchestration; when that start fails (the
host restarted, a timeout) only a redelivery would repair it, and GitHub never redelivers on its
own. Each pass, for every active tenant:

- a task still ``queued`` ``start_after`` after intake whose orchestration the host does not
  know is started, rebuilt from its stored delivery exactly as intake built it (same task id);
- a task ``running`` without any change for ``stall_after``, or whose orchestration ended or
  vanished while the task is still active, is re-driven: its instance is terminated (if still
  running) and started again (activities are idempotent: one branch, one PR, one comment);
- a task still ``awaiting_approval`` ``start_after`` after its decision was recorded, whose
  orchestration has not verified that decision (``approval.verified``), gets the decision's
  ``approval`` event raised again: the decision was committed before the event was raised and
  the host crashed or was unreachable in between (the orchestration verifies the decision an
  event names, and ignores an event it no longer waits for). A verified decision was delivered:
  the task stays ``awaiting_approval`` while its pull request is opened, and is left alone;
- after ``max_redrives`` re-drives, or when its delivery cannot be rebuilt, the task becomes a
  dead letter: failed, with a ``dead_letters`` row and a ``task.dead-lettered`` audit event,
  logged as an error and counted in the pass's report (``python -m tools.admin dead-letters``).

Every action is audited (``task.started-by-reconciler``, ``task.redriven``,
``approval.reraised-by-reconciler``). A pass that cannot
reach the host or the database for one task goes on with the others; the next pass retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.errors import DomainError, NotFound, TenantNotFound
from shared.domain.task import AgentTask, Command, Provider, TaskStatus
from shared.domain.tenant import Tenant, TenantLocation
from shared.policies.triggers import Ignored, TriggerRules, normalise, read_delivery
from shared.ports.orchestrations import Orchestrations
from shared.ports.reconcile import ReconcileLedger, StuckTask
from shared.ports.tenants import TenantDirectory
from shared.services.intake.service import DEFAULT_FLOWS

log = logging.getLogger(__name__)

_ALIVE = frozenset({"Pending", "Running", "ContinuedAsNew", "Suspended"})
_TERMINATE_WAIT_S = 5.0


@dataclass
class ReconcileReport:
    started: list[str] = field(default_factory=list)
    redriven: list[str] = field(default_factory=list)
    reraised: list[str] = field(default_factory=list)  # tasks whose approval event was raised
    dead_lettered: list[str] = field(default_factory=list)
    dead_letters: int = 0  # all tenants' dead letters, new and old

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "redriven": self.redriven,
            "reraised": self.reraised,
            "dead_lettered": self.dead_lettered,
            "dead_letters": self.dead_letters,
        }


class Reconciler:
    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        ledger: ReconcileLedger,
        start_after: timedelta = timedelta(minutes=2),
        stall_after: timedelta = timedelta(hours=1),
        max_redrives: int = 3,
        flows: Mapping[Command, str] = DEFAULT_FLOWS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_s: float = 0.1,
    ) -> None:
        self._tenants = tenants
        self._ledger = ledger
        self._start_after = start_after
        self._stall_after = stall_after
        self._max_redrives = max_redrives
        self._flows = dict(flows)
        self._clock = clock
        self._poll_s = poll_s

    async def run(self, orchestrations: Orchestrations) -> ReconcileReport:
        """One pass over every active tenant."""
        report = ReconcileReport()
        now = self._clock()
        for tenant in await asyncio.to_thread(self._tenants.list):
            if not tenant.active:
                continue
            try:
                location = await asyncio.to_thread(self._tenants.locate, tenant.slug)
            except TenantNotFound:  # its database is still being provisioned, or just dropped
                continue
            stuck = await asyncio.to_thread(
                self._ledger.stuck,
                location,
                queued_before=now - self._start_after,
                idle_before=now - self._stall_after,
            )
            for task in stuck:
                try:
                    outcome = await self._reconcile(tenant, location, task, orchestrations)
                except DomainError as exc:
                    log.warning("reconciling %s (%s) failed: %s", task.id, tenant.slug, exc)
                    continue
                if outcome is not None:
                    getattr(report, outcome).append(task.id)
            decided_before = now - self._start_after
            undelivered = await asyncio.to_thread(
                self._ledger.undelivered_decisions, location, decided_before=decided_before
            )
            for task_id, decision_id in undelivered:
                if await self._raise_again(location, task_id, decision_id, orchestrations):
                    report.reraised.append(task_id)
            report.dead_letters += await asyncio.to_thread(self._ledger.dead_letters, location)
        if report.started or report.redriven or report.reraised or report.dead_lettered:
            log.warning("reconciler: %s", report.to_json())
        return report

    def dead_letters(self, slug: str | None = None) -> dict[str, int]:
        """Dead letters per tenant (all tenants, or ``slug``): what operators look at."""
        if slug:
            return {slug: self._ledger.dead_letters(self._tenants.locate(slug))}
        counts: dict[str, int] = {}
        for tenant in self._tenants.list():
            try:
                counts[tenant.slug] = self._ledger.dead_letters(self._tenants.locate(tenant.slug))
            except TenantNotFound:  # still being provisioned: nothing can have failed there
                continue
        return counts

    async def _reconcile(
        self,
        tenant: Tenant,
        location: TenantLocation,
        task: StuckTask,
        orchestrations: Orchestrations,
    ) -> str | None:
        status = await orchestrations.status(task.id)
        if task.status is TaskStatus.QUEUED and status in _ALIVE:
            return None  # started: its first step moves the task on
        rebuilt = await asyncio.to_thread(self._rebuild, tenant, location, task)
        if rebuilt is None:
            await self._dead_letter(location, task, "delivery-unavailable", status, orchestrations)
            return "dead_lettered"
        if task.status is TaskStatus.QUEUED and status is None:
            await orchestrations.start(self._flows[rebuilt.command], task.id, rebuilt.to_dict())
            await asyncio.to_thread(
                self._ledger.note, location, task.id, "task.started-by-reconciler", {}
            )
            return "started"
        if task.redrives >= self._max_redrives:
            await self._dead_letter(location, task, "no-progress", status, orchestrations)
            return "dead_lettered"
        if status in _ALIVE:
            await orchestrations.terminate(task.id, "no progress: re-driven by the reconciler")
            if not await self._ended(task.id, orchestrations):
                return None  # the next pass finds it ended and starts it
        await orchestrations.start(self._flows[rebuilt.command], task.id, rebuilt.to_dict())
        data = {"instance_status": status, "attempt": task.redrives + 1}
        await asyncio.to_thread(self._ledger.note, location, task.id, "task.redriven", data)
        return "redriven"

    async def _raise_again(
        self,
        location: TenantLocation,
        task_id: str,
        decision_id: str,
        orchestrations: Orchestrations,
    ) -> bool:
        """Raise the recorded decision's ``approval`` event (it carries only the id)."""
        try:
            await orchestrations.raise_event(task_id, "approval", {"decision_id": decision_id})
        except NotFound:  # the instance ended: the task is no longer waiting for this event
            return False
        except DomainError as exc:
            log.warning("re-raising the decision of %s failed: %s", task_id, exc)
            return False
        data = {"decision_id": decision_id}
        await asyncio.to_thread(
            self._ledger.note, location, task_id, "approval.reraised-by-reconciler", data
        )
        return True

    async def _ended(self, instance_id: str, orchestrations: Orchestrations) -> bool:
        deadline = asyncio.get_running_loop().time() + _TERMINATE_WAIT_S
        while await orchestrations.status(instance_id) in _ALIVE:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(self._poll_s)
        return True

    async def _dead_letter(
        self,
        location: TenantLocation,
        task: StuckTask,
        code: str,
        status: str | None,
        orchestrations: Orchestrations,
    ) -> None:
        if status in _ALIVE:
            await orchestrations.terminate(task.id, f"dead-lettered by the reconciler: {code}")
        details = {"instance_status": status, "redrives": task.redrives}
        message = f"task {task.id} left stuck ({task.status}): {code}"
        await asyncio.to_thread(self._ledger.dead_letter, location, task.id, code, message, details)
        log.error("dead letter: tenant %s task %s: %s", location.slug, task.id, code)

    def _rebuild(
        self, tenant: Tenant, location: TenantLocation, task: StuckTask
    ) -> AgentTask | None:
        """The task as intake built it, from its stored delivery (``None`` when impossible)."""
        if task.delivery_id is None:
            return None
        stored = self._ledger.delivery(location, task.provider, task.delivery_id)
        if stored is None:
            return None
        try:
            provider = Provider(task.provider)
            delivery = read_delivery(
                tenant.slug, provider, stored.headers, stored.body, stored.received_at
            )
            rebuilt = normalise(delivery, TriggerRules.from_settings(tenant.settings))
        except (DomainError, ValueError) as exc:
            log.warning("task %s: its delivery no longer reads: %s", task.id, exc)
            return None
        if isinstance(rebuilt, Ignored) or rebuilt.id != task.id:
            return None
        return rebuilt if rebuilt.command in self._flows else None
