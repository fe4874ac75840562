"""Webhook intake: authenticate, interpret and record a delivery, then start or steer its task.

``receive`` does the blocking part (tenant lookup, secrets, parsing) in a worker thread, records
the delivery in a transaction it may share with the tenant's other deliveries arriving at the
same time (``batches``: one commit, and one turn of the tenant's audit-chain lock, for many),
and makes the Durable calls on the event loop. Guarantees:

- Nothing twice: the delivery id is claimed in the same transaction that stores the task and its
  ``task.received`` audit event; a duplicate gets the first task's id and starts nothing.
- Nothing lost: the task id (= instance id) is derived from the delivery id, so when starting
  the orchestration failed after the commit, a later retry of the same delivery starts it (once
  the first attempt is ``restart_after`` old and the task is still active).
- Rate limits and bad input leave nothing behind: the transaction rolls back.
- Refused commands are answered without an SCM call: a command over the tenant's rate limit
  (429) or from a denied author starts the small ``refusal_reply`` flow, which audits it and
  replies to its author at most once per window. Whether the author may push is asked by the
  patch flow's first activity, never here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from shared.auth.webhooks import (
    WebhookSecrets,
    authenticate,
    rotation_deadline_name,
    secret_names,
)
from shared.domain.errors import (
    InvalidTenantSlug,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    TenantDisabled,
    TenantNotFound,
    Unauthenticated,
)
from shared.domain.task import AgentTask, Command, Provider, SourceKind
from shared.domain.tenant import TenantLocation
from shared.policies.triggers import (
    WEBHOOK_PROVIDERS,
    Ignored,
    TriggerRules,
    normalise,
    read_delivery,
)
from shared.policies.triggers.pushes import is_push
from shared.ports.connections import ConnectionDirectory
from shared.ports.intake import DeliveryRecord, IntakeLedger, IntakeTx, PriorDelivery
from shared.ports.orchestrations import Orchestrations
from shared.ports.secrets import SecretStore
from shared.ports.tenants import TenantDirectory
from shared.services.intake.batches import TenantBatches
from shared.services.intake.cache import TtlCache
from shared.services.intake.control import CONTROL_COMMANDS, apply_control
from shared.services.intake.effects import Effect, refuse, start_flow, terminate
from shared.services.intake.model import IntakeResult, Outcome, ReceiveDelivery, audit_actor
from shared.services.intake.pushes import PushToRecord, prepare_push, record_push

PATCH_FLOW = "patch_flow"
REVIEW_FLOW = "review_flow"
DEFAULT_FLOWS: Mapping[Command, str] = {
    Command.FIX: PATCH_FLOW,
    Command.IMPLEMENT: PATCH_FLOW,
    Command.REVIEW: REVIEW_FLOW,
}
#: What ``/agent review`` can review; on an issue or work item it is refused with a reply.
REVIEWABLE = frozenset({SourceKind.PULL_REQUEST, SourceKind.MERGE_REQUEST})
#: Headers kept with a stored delivery. Never tokens or credentials.
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "user-agent",
        "x-github-event",
        "x-github-delivery",
        "x-github-hook-id",
        "x-github-hook-installation-target-id",
        "x-github-hook-installation-target-type",
        "x-hub-signature-256",
        "x-gitlab-event",
        "x-gitlab-event-uuid",
        "x-gitlab-webhook-uuid",
        "x-gitlab-instance",
        "idempotency-key",
    }
)
_SECRET_REFRESH_SECONDS = 1.0  # at most one forced secret reload per tenant and provider


@dataclass(frozen=True)
class _TenantView:
    location: TenantLocation
    rules: TriggerRules


@dataclass(frozen=True)
class _Decision:
    result: IntakeResult
    effect: Effect | None = None


@dataclass(frozen=True)
class _ToRecord:
    """An authenticated delivery that asks for something: what its transaction needs."""

    location: TenantLocation
    task: AgentTask
    record: DeliveryRecord
    rules: TriggerRules


class IntakeService:
    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        secrets: SecretStore,
        ledger: IntakeLedger,
        max_body_bytes: int,
        cache_seconds: float = 10.0,
        flows: Mapping[Command, str] = DEFAULT_FLOWS,
        restart_after: timedelta = timedelta(seconds=15),
        connections: ConnectionDirectory | None = None,
    ) -> None:
        self._tenants = tenants
        self._connections = connections
        self._secrets = secrets
        self._max_body = max_body_bytes
        self._flows = dict(flows)
        self._restart_after = restart_after
        self._tenant_cache: TtlCache[str, _TenantView] = TtlCache(cache_seconds)
        self._secret_cache: TtlCache[tuple[str, Provider], WebhookSecrets] = TtlCache(cache_seconds)
        self._batches = TenantBatches(ledger.begin)

    async def receive(self, cmd: ReceiveDelivery, orchestrations: Orchestrations) -> IntakeResult:
        """Handle one webhook request; raises ``DomainError``s the trigger maps to HTTP."""
        prepared = await asyncio.to_thread(self._prepare, cmd)
        if isinstance(prepared, _Decision):
            decision = prepared
        elif isinstance(prepared, PushToRecord):
            push = prepared
            recorded = await self._batches.run(push.location, lambda tx: record_push(tx, push))
            decision = _Decision(recorded)
        else:
            try:
                decision = await self._batches.run(
                    prepared.location,
                    lambda tx: self._record(tx, prepared.task, prepared.record, prepared.rules),
                )
            except RateLimited as exc:
                result = IntakeResult(Outcome.IGNORED, reason="rate-limited")
                decision = _Decision(result, refuse(prepared.task, "rate-limited", result, exc))
        if decision.effect is None:
            return decision.result
        return await decision.effect(orchestrations)

    def _prepare(self, cmd: ReceiveDelivery) -> _Decision | _ToRecord | PushToRecord:
        """Everything before the transaction (blocking): a decision already, or what to record."""
        provider = _provider(cmd.provider)
        if len(cmd.body) > self._max_body:
            raise PayloadTooLarge(f"the body is larger than {self._max_body} bytes")
        view = self._tenant(cmd.tenant)
        if provider not in view.rules.providers:
            raise PermissionDenied(
                f"{provider.value} webhooks are not enabled for this tenant",
                code="provider-disabled",
            )
        self._authenticate(cmd, provider, view.rules)
        delivery = read_delivery(cmd.tenant, provider, cmd.headers, cmd.body, cmd.received_at)
        record = DeliveryRecord(
            provider,
            delivery.delivery_id,
            delivery.event,
            {k: v for k, v in cmd.headers.items() if k in KEPT_HEADERS},
            cmd.body,
        )
        if is_push(delivery):
            pushed = prepare_push(self._connections, delivery, view.location, record)
            return _Decision(pushed) if isinstance(pushed, IntakeResult) else pushed
        task = normalise(delivery, view.rules)
        if isinstance(task, Ignored):
            return _Decision(IntakeResult(Outcome.IGNORED, reason=task.reason))
        if task.command not in CONTROL_COMMANDS and task.command not in self._flows:
            return _Decision(IntakeResult(Outcome.IGNORED, reason=f"{task.command}-not-enabled"))
        refusal = view.rules.author_refusal(provider, task.requester)
        if refusal is None and task.command is Command.REVIEW:
            refusal = None if task.source_kind in REVIEWABLE else "review-needs-pull-request"
        if refusal is not None:
            result = IntakeResult(Outcome.IGNORED, reason=refusal)
            return _Decision(result, refuse(task, refusal, result))
        return _ToRecord(view.location, task, record, view.rules)

    # --- tenant, authentication -------------------------------------------------------------
    def _tenant(self, slug: str) -> _TenantView:
        def load() -> _TenantView:
            try:
                tenant = self._tenants.get(slug)
            except InvalidTenantSlug as exc:
                raise TenantNotFound(f"no tenant {slug!r}") from exc
            if not tenant.active:
                raise TenantDisabled(f"tenant {slug!r} is disabled")
            rules = TriggerRules.from_settings(tenant.settings)
            return _TenantView(self._tenants.locate(slug), rules)

        return self._tenant_cache.get(slug, load)

    def _authenticate(self, cmd: ReceiveDelivery, provider: Provider, rules: TriggerRules) -> None:
        key = (cmd.tenant, provider)
        header = rules.azure_devops_secret_header

        def check() -> None:
            secrets = self._secret_cache.get(key, lambda: self._load_secrets(cmd.tenant, provider))
            authenticate(provider, cmd.headers, cmd.body, secrets, secret_header=header)

        try:
            check()
        except Unauthenticated:
            # A secret may have just been rotated: reload once, at most every second.
            age = self._secret_cache.age(key)
            if age is None or age < _SECRET_REFRESH_SECONDS:
                raise
            self._secret_cache.invalidate(key)
            check()

    def _load_secrets(self, tenant: str, provider: Provider) -> WebhookSecrets:
        def values(names: tuple[str, ...]) -> tuple[str, ...]:
            found = []
            for name in names:
                try:
                    found.append(self._secrets.get(tenant, name))
                except NotFound:
                    continue
            return tuple(found)

        names = secret_names(provider)
        until = values((rotation_deadline_name(provider),))
        return WebhookSecrets(
            main=values(names["main"]),
            header=values(names["header"]) if "header" in names else (),
            previous_until=float(until[0]) if until else None,
        )

    # --- the transaction ----------------------------------------------------------------------
    def _record(
        self, tx: IntakeTx, task: AgentTask, record: DeliveryRecord, rules: TriggerRules
    ) -> _Decision:
        control = task.command in CONTROL_COMMANDS
        claimed = "control" if control else "task-created"
        prior = tx.claim(record, claimed, None if control else task.id)
        if prior is not None:
            return self._duplicate(tx, task, prior)
        wait = tx.take_token()
        if wait is not None:
            raise RateLimited("the tenant's webhook rate limit is exceeded", retry_after=wait)
        active = tx.active_task(task)
        if control:
            return _Decision(*apply_control(tx, task, active, rules))
        if active is not None:
            tx.settle("running", active.id)
            return _Decision(IntakeResult(Outcome.RUNNING, active.id))
        tx.add_task(task)
        tx.audit(
            kind="task.received",
            actor=audit_actor(task),
            data={
                "provider": task.provider.value,
                "event": task.extra.get("event", ""),
                "delivery_id": task.delivery_id,
                "repository": task.repository,
                "source": f"{task.source_kind.value}:{task.source_id}",
                "command": task.command.value,
            },
            task_id=task.id,
        )
        return _Decision(
            IntakeResult(Outcome.ACCEPTED, task.id), start_flow(self._flows[task.command], task)
        )

    def _duplicate(self, tx: IntakeTx, task: AgentTask, prior: PriorDelivery) -> _Decision:
        result = IntakeResult(Outcome.DUPLICATE, prior.task_id)
        if prior.outcome == "cancelled" and prior.task_id:
            return _Decision(result, terminate(result, prior.task_id))
        stale = task.received_at - prior.received_at >= self._restart_after
        if prior.outcome == "task-created" and prior.task_id == task.id and stale:
            active = tx.active_task(task)
            if active is not None and active.id == task.id:
                flow = self._flows[task.command]
                return _Decision(result, start_flow(flow, task, result, only_if_missing=True))
        return _Decision(result)


def _provider(name: str) -> Provider:
    for provider in WEBHOOK_PROVIDERS:
        if provider.value == name:
            return provider
    raise NotFound(f"no webhook provider {name!r}", code="unknown-provider")
