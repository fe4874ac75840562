"""Promotion of model versions: propose a challenger, approve (or reject) it as champion, roll
back.

Two keys turn: the gate (``shared.policies.model_gate``) on the challenger's evaluation, and a
PlatformAdmin's decision, who must not be the proposer (compared on ``Actor.id``, the Entra
object id). Every step (refusals included) is appended to the ``PromotionLog`` before or
together with the alias move, so the record shows who decided what on which evidence. A
rollback moves ``champion`` back to the version the last approval replaced: one call, recorded
like the others, and never to a version no one approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import Conflict, NotFound, PermissionDenied
from shared.domain.models import CHALLENGER, CHAMPION, EvaluationResult, Promotion
from shared.policies.model_gate import GatePolicy, GateVerdict, judge
from shared.policies.rbac import AppRole
from shared.ports.registry import ModelRegistry, PromotionLog

PLATFORM_ADMIN = str(AppRole.PLATFORM_ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who acts: a stable id (an Entra object id, or an operator's name at the CLI), the app
    roles held, and a readable name for the record (``id`` when empty)."""

    id: str
    roles: frozenset[str] = frozenset()
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id


class ModelGovernance:
    def __init__(
        self, registry: ModelRegistry, promotions: PromotionLog, policy: GatePolicy | None = None
    ) -> None:
        self._registry = registry
        self._promotions = promotions
        self._policy = policy or GatePolicy()

    def latest_evaluation(self, name: str, version: int) -> EvaluationResult | None:
        found = self._registry.evaluations(name, version)
        return found[-1] if found else None

    def gate(self, name: str, version: int, tenant: str | None = None) -> GateVerdict:
        """The gate's verdict on ``version`` against the current champion (for ``tenant``)."""
        try:
            champion = self._registry.resolve(name, CHAMPION, tenant).version
        except NotFound:
            champion = None
        return judge(
            self._policy,
            self.latest_evaluation(name, version),
            self.latest_evaluation(name, champion) if champion else None,
        )

    def propose(
        self, name: str, version: int, actor: Actor, tenant: str | None = None
    ) -> Promotion:
        """Make ``version`` the challenger, if the gate passes; a refusal is recorded and raised
        (``Conflict``, code ``promotion-gate-refused``)."""
        self._registry.get(name, version)
        verdict = self.gate(name, version, tenant)
        step = Promotion(
            name, version, CHALLENGER, tenant, "proposed", actor.label, gate=verdict.to_dict(),
            actor_id=actor.id,
        )  # fmt: skip
        if not verdict.passed:
            self._refuse(step, "gate: " + "; ".join(verdict.reasons), "promotion-gate-refused")
        self._registry.set_alias(name, CHALLENGER, version, tenant)
        return self._promotions.append(step)

    def approve(
        self, name: str, version: int, actor: Actor, tenant: str | None = None
    ) -> Promotion:
        """Make the proposed ``version`` champion. Refused (recorded, then raised) unless the
        actor is a PlatformAdmin other than the proposer and the gate still passes."""
        step = self._decision(name, version, actor, tenant, "approved")
        verdict = self.gate(name, version, tenant)
        if not verdict.passed:
            self._refuse(step, "gate: " + "; ".join(verdict.reasons), "promotion-gate-refused")
        previous = self._champion(name, tenant)
        recorded = self._promotions.append(
            Promotion(**{**step.__dict__, "gate": verdict.to_dict(), "previous": previous})
        )
        self._registry.set_alias(name, CHAMPION, version, tenant)
        self._registry.set_tag(name, version, "approved_by", actor.label)
        return recorded

    def reject(
        self, name: str, version: int, actor: Actor, tenant: str | None = None, reason: str = ""
    ) -> Promotion:
        """Close the open proposal of ``version`` without moving ``champion``. The same rules
        as an approval: a decision is a second PlatformAdmin's, so the proposer cannot take
        it either way."""
        step = self._decision(name, version, actor, tenant, "rejected")
        return self._promotions.append(Promotion(**{**step.__dict__, "reason": reason}))

    def _decision(
        self, name: str, version: int, actor: Actor, tenant: str | None, action: str
    ) -> Promotion:
        """The step a decision on the open proposal records, once the decider may take it."""
        proposal = self._pending(name, version, tenant)
        step = Promotion(
            name, version, CHAMPION, tenant, action, actor.label, actor_id=actor.id,
            proposal=proposal.id,
        )  # fmt: skip
        if PLATFORM_ADMIN not in actor.roles:
            self._refuse(step, "the PlatformAdmin role is required", "platform-admin-required")
        if actor.id == (proposal.actor_id or proposal.actor):
            self._refuse(step, "the proposer cannot decide", "proposer-cannot-approve")
        return step

    def rollback(self, name: str, actor: Actor, tenant: str | None = None) -> Promotion:
        """Point ``champion`` back at the version the last approval (or rollback) replaced."""
        if PLATFORM_ADMIN not in actor.roles:
            raise PermissionDenied(
                "the PlatformAdmin role is required", code="platform-admin-required"
            )
        moves = [
            s
            for s in self._promotions.history(name)
            if s.alias == CHAMPION
            and s.tenant == tenant
            and s.action in ("approved", "rolled-back")
        ]
        if not moves or moves[-1].previous is None:
            raise Conflict(
                f"{name}: no earlier champion to roll back to", code="nothing-to-roll-back"
            )
        current, target = moves[-1].version, moves[-1].previous
        step = Promotion(
            name, target, CHAMPION, tenant, "rolled-back", actor.label, previous=current,
            actor_id=actor.id,
        )  # fmt: skip
        recorded = self._promotions.append(step)
        self._registry.set_alias(name, CHAMPION, target, tenant)
        return recorded

    def _champion(self, name: str, tenant: str | None) -> int | None:
        try:
            return self._registry.resolve(name, CHAMPION, tenant).version
        except NotFound:
            return None

    def _pending(self, name: str, version: int, tenant: str | None) -> Promotion:
        """The open proposal of ``version``: proposed after its last decision, if any."""
        steps = [
            s
            for s in self._promotions.history(name, version)
            if s.tenant == tenant and s.action in ("proposed", "approved", "rejected")
        ]
        if not steps or steps[-1].action != "proposed":
            raise Conflict(
                f"{name}/{version} has no open proposal: propose it first", code="not-proposed"
            )
        return steps[-1]

    def _refuse(self, step: Promotion, reason: str, code: str) -> None:
        self._promotions.append(
            Promotion(
                **{**step.__dict__, "action": "refused", "reason": f"{step.action}: {reason}"}
            )
        )
        raise (PermissionDenied if "gate" not in code else Conflict)(reason, code=code)
