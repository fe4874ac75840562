"""The task's plan (tenant policy narrowed by the repository) and the risk that decides approval."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidInput
from shared.policies.agent_config import FlowPlan, parse_repo_config, plan_for
from shared.policies.risk import assess_risk


def test_repository_config_can_narrow_but_never_widen_the_tenant_policy() -> None:
    tenant = {"patch_policy": {"max_attempts": 3, "max_files": 10, "approval": "risk"}}
    repo = parse_repo_config(
        "max_attempts: 9\nmax_files: 2\napproval: never\ndenied_paths: [docs/**]\n"
        "check_command: python -m pytest -q\nallowed_paths: [src/**, tests/**]\n"
    )
    plan = plan_for(tenant, repo)
    assert plan.max_attempts == 3  # the repo asked for more: refused
    assert plan.max_files == 2  # the repo asked for less: granted
    assert plan.approval == "risk"  # 'never' is looser than the tenant's rule
    assert plan.denied_paths == ("docs/**",)
    assert plan.repo_allowed_paths == ("src/**", "tests/**")
    assert plan.check_command == ("python", "-m", "pytest", "-q")


def test_the_tool_budget_is_the_tenants_and_a_repository_may_only_narrow_it() -> None:
    tenant = {"patch_policy": {"max_tool_steps": 4, "max_tool_tokens": 20_000}}
    wider = plan_for(tenant, parse_repo_config("max_tool_steps: 50\nmax_tool_tokens: 10"))
    assert (wider.max_tool_steps, wider.max_tool_tokens) == (4, 10)
    assert plan_for(tenant, parse_repo_config("max_tool_steps: 0")).max_tool_steps == 0
    assert plan_for({}, {}).max_tool_steps == FlowPlan().max_tool_steps > 0
    with pytest.raises(InvalidInput):
        parse_repo_config("max_tool_steps: many")


def test_repository_may_demand_approval_always() -> None:
    assert plan_for({}, parse_repo_config("approval: always")).approval == "always"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("max_files: [1]", "wrong type"),
        ("colour: blue", "unknown key"),
        ("approval: sometimes", "approval must be"),
        ("- a list", "must be a mapping"),
        ("key: [unclosed", "not valid YAML"),
        ("max_attempts: true", "wrong type"),
    ],
)
def test_broken_agent_config_is_refused_with_a_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_repo_config(text)


def test_absent_agent_config_means_tenant_defaults() -> None:
    assert plan_for({}, parse_repo_config(None)) == FlowPlan()


def test_plan_round_trips_through_its_json_form() -> None:
    plan = plan_for({"llm_routes": [{"provider": "scripted"}]}, parse_repo_config("max_files: 4"))
    assert FlowPlan.from_dict(plan.to_dict()) == plan


def _risk(plan: FlowPlan, paths=("src/app.py",), deleted=(), lines=4, check=True):
    return assess_risk(
        plan, paths=list(paths), deleted=list(deleted), lines_changed=lines, check_passed=check
    )


def test_small_checked_change_is_low_risk_and_needs_no_approval_under_risk_rule() -> None:
    risk = _risk(FlowPlan())
    assert (risk.level, risk.approval_required) == ("low", False)


@pytest.mark.parametrize(
    ("kwargs", "level"),
    [
        ({"paths": ("src/auth/login.py",)}, "high"),
        ({"check": False}, "high"),
        ({"check": None}, "medium"),
        ({"deleted": ("src/old.py",)}, "medium"),
        ({"lines": 500}, "medium"),
    ],
)
def test_risk_rises_with_sensitive_paths_failures_and_size(kwargs, level) -> None:
    risk = _risk(FlowPlan(), **kwargs)
    assert risk.level == level and risk.approval_required and risk.reasons


def test_approval_rule_always_and_never_override_the_risk() -> None:
    assert _risk(FlowPlan(approval="always")).approval_required
    assert not _risk(FlowPlan(approval="never"), check=False).approval_required
