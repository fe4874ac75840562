"""Promotion: the gate on evaluations, a PlatformAdmin's approval that is not the proposer's,
every step recorded, and rollback in one call."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.errors import Conflict, PermissionDenied
from shared.domain.llm import ProviderKind
from shared.domain.models import CHALLENGER, CHAMPION, PATCH_MODEL, EvaluationResult, ModelSpec
from shared.policies.model_gate import GatePolicy
from shared.ports.registry import FakeModelRegistry, FakePromotionLog
from shared.services.models.governance import PLATFORM_ADMIN, Actor, ModelGovernance

ALICE = Actor("alice", frozenset({PLATFORM_ADMIN}))
BOB = Actor("bob", frozenset({PLATFORM_ADMIN}))
CAROL = Actor("carol", frozenset({"TenantAdmin"}))
SPEC = ModelSpec(ProviderKind.SCRIPTED, "demo", "patch_udiff.v1", "sha256:00", "udiff")


def scores(resolved: float, applied: float = 1.0, well_formed: float = 1.0) -> EvaluationResult:
    return EvaluationResult(
        "pybugs", "1", 10, resolved, applied, well_formed, 1000, Decimal("0.01"), 200
    )


@pytest.fixture
def world() -> tuple[ModelGovernance, FakeModelRegistry, FakePromotionLog]:
    registry, log = FakeModelRegistry(), FakePromotionLog()
    for _ in range(3):
        registry.register(PATCH_MODEL, SPEC, description="", created_by="t")
    registry.set_alias(PATCH_MODEL, CHAMPION, 1)
    registry.log_evaluation(PATCH_MODEL, 1, scores(0.8))
    return ModelGovernance(registry, log, GatePolicy(margin=0.05)), registry, log


def test_the_gate_refuses_a_challenger_worse_than_the_champion_beyond_the_margin(world) -> None:
    governance, registry, log = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.7))  # above thresholds, 0.1 below champion

    with pytest.raises(Conflict) as refused:
        governance.propose(PATCH_MODEL, 2, ALICE)
    assert refused.value.code == "promotion-gate-refused"
    assert "worse than champion's 0.80" in refused.value.message
    with pytest.raises(Exception, match="no alias"):
        registry.resolve(PATCH_MODEL, CHALLENGER)
    assert [s.action for s in log.steps] == ["refused"]


def test_the_gate_refuses_below_thresholds_and_unevaluated_versions(world) -> None:
    governance, registry, _ = world
    assert governance.gate(PATCH_MODEL, 3).reasons == ("not-evaluated",)
    registry.log_evaluation(PATCH_MODEL, 3, scores(0.9, well_formed=0.5))
    verdict = governance.gate(PATCH_MODEL, 3)
    assert not verdict.passed and verdict.reasons[0] == "well_formed 0.50 below 0.80"


def test_within_the_margin_passes(world) -> None:
    governance, registry, _ = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.76))
    assert governance.gate(PATCH_MODEL, 2).passed


def test_promotion_needs_a_proposal_and_an_approver_other_than_the_proposer(world) -> None:
    governance, registry, log = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.9))
    with pytest.raises(Conflict, match="propose it first"):
        governance.approve(PATCH_MODEL, 2, BOB)

    governance.propose(PATCH_MODEL, 2, ALICE)
    assert registry.resolve(PATCH_MODEL, CHALLENGER).version == 2
    assert registry.resolve(PATCH_MODEL, CHAMPION).version == 1  # not yet

    with pytest.raises(PermissionDenied) as by_proposer:
        governance.approve(PATCH_MODEL, 2, ALICE)
    assert by_proposer.value.code == "proposer-cannot-approve"
    with pytest.raises(PermissionDenied) as by_tenant_admin:
        governance.approve(PATCH_MODEL, 2, CAROL)
    assert by_tenant_admin.value.code == "platform-admin-required"
    assert registry.resolve(PATCH_MODEL, CHAMPION).version == 1

    approved = governance.approve(PATCH_MODEL, 2, BOB)
    assert registry.resolve(PATCH_MODEL, CHAMPION).version == 2
    assert (approved.actor, approved.previous, approved.gate["passed"]) == ("bob", 1, True)
    assert [(s.action, s.actor) for s in log.steps] == [
        ("proposed", "alice"),
        ("refused", "alice"),
        ("refused", "carol"),
        ("approved", "bob"),
    ]
    with pytest.raises(Conflict):  # the proposal was used
        governance.approve(PATCH_MODEL, 2, BOB)


def test_rollback_is_one_call_and_recorded(world) -> None:
    governance, registry, _ = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.9))
    governance.propose(PATCH_MODEL, 2, ALICE)
    governance.approve(PATCH_MODEL, 2, BOB)

    step = governance.rollback(PATCH_MODEL, ALICE)
    assert registry.resolve(PATCH_MODEL, CHAMPION).version == 1
    assert (step.action, step.version, step.previous) == ("rolled-back", 1, 2)
    with pytest.raises(PermissionDenied):
        governance.rollback(PATCH_MODEL, CAROL)


def test_a_tenant_promotion_leaves_the_global_champion_alone(world) -> None:
    governance, registry, _ = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.9))
    governance.propose(PATCH_MODEL, 2, ALICE, tenant="acme")
    governance.approve(PATCH_MODEL, 2, BOB, tenant="acme")
    assert registry.resolve(PATCH_MODEL, CHAMPION, "acme").version == 2
    assert registry.resolve(PATCH_MODEL, CHAMPION).version == 1
    assert registry.resolve(PATCH_MODEL, CHAMPION, "globex").version == 1


def test_the_proposer_is_known_by_object_id_whatever_name_they_show(world) -> None:
    governance, registry, log = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.9))
    governance.propose(PATCH_MODEL, 2, Actor("oid-1", ALICE.roles, name="alice@contoso.com"))
    renamed = Actor("oid-1", ALICE.roles, name="alice.smith@contoso.com")
    with pytest.raises(PermissionDenied, match="proposer"):
        governance.approve(PATCH_MODEL, 2, renamed)
    with pytest.raises(PermissionDenied, match="proposer"):
        governance.reject(PATCH_MODEL, 2, renamed)
    assert [(s.action, s.actor, s.actor_id) for s in log.steps] == [
        ("proposed", "alice@contoso.com (oid-1)", "oid-1"),
        ("refused", "alice.smith@contoso.com (oid-1)", "oid-1"),
        ("refused", "alice.smith@contoso.com (oid-1)", "oid-1"),
    ]


def test_a_rejection_closes_the_proposal_and_moves_nothing(world) -> None:
    governance, registry, _ = world
    registry.log_evaluation(PATCH_MODEL, 2, scores(0.9))
    governance.propose(PATCH_MODEL, 2, ALICE)
    with pytest.raises(PermissionDenied) as by_tenant_admin:
        governance.reject(PATCH_MODEL, 2, CAROL)
    assert by_tenant_admin.value.code == "platform-admin-required"
    step = governance.reject(PATCH_MODEL, 2, BOB, reason="flaky on our suite")
    assert (step.action, step.actor, step.reason) == ("rejected", "bob", "flaky on our suite")
    assert registry.resolve(PATCH_MODEL, CHAMPION).version == 1
    with pytest.raises(Conflict, match="propose it first"):
        governance.approve(PATCH_MODEL, 2, BOB)
    governance.propose(PATCH_MODEL, 2, ALICE)  # a new proposal can be decided again
    assert governance.approve(PATCH_MODEL, 2, BOB).action == "approved"


class RacingLog(FakePromotionLog):
    """Two admins deciding at once: each read the history before the other's decision."""

    def history(self, model: str, version: int | None = None) -> list:
        return [s for s in super().history(model, version) if s.action != "approved"]


def test_a_proposal_is_decided_once_even_by_two_admins_at_once() -> None:
    registry, log = FakeModelRegistry(), RacingLog()
    for version in (1, 2):
        registry.register(PATCH_MODEL, SPEC, description="", created_by="t")
        registry.log_evaluation(PATCH_MODEL, version, scores(0.9))
    registry.set_alias(PATCH_MODEL, CHAMPION, 1)
    governance = ModelGovernance(registry, log)
    governance.propose(PATCH_MODEL, 2, ALICE)
    governance.approve(PATCH_MODEL, 2, BOB)
    dave = Actor("dave", frozenset({PLATFORM_ADMIN}))
    with pytest.raises(Conflict) as second:
        governance.approve(PATCH_MODEL, 2, dave)
    assert second.value.code == "already-decided"
    assert [s.action for s in log.steps] == ["proposed", "approved"]
    assert registry.get(PATCH_MODEL, 2).tags["approved_by"] == "bob"
