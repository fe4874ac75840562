"""Honest check states: passed, failed, unchecked (with its reason), and what each one means for
approval, the approval request, the PR body and the comment. The check runs once per attempt."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from shared.domain.errors import CheckoutUnsupported, InvalidInput
from shared.policies.agent_config import FlowPlan, parse_repo_config, plan_for
from shared.policies.risk import assess_risk
from shared.ports.checkout import CheckoutLimits, FakeCheckout
from shared.ports.sandbox import FakeSandbox, NetworkPolicy
from shared.services.patch_flow import messages
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.patch_flow.validation import validate_proposal
from shared.services.patch_flow.workspace import ABANDONED_AFTER_S
from tests.support.validation_deps import validation_deps

PATCH = "--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-VALUE = 1\n+VALUE = 2\n"
TASK = {
    "tenant": "acme",
    "provider": "local_git",
    "repository": "demo",
    "requester": "dev",
    "source_kind": "issue",
    "source_id": "1",
    "command": "fix",
    "instruction": "bump the value",
}


def _deps(tmp_path: Path, sandbox: FakeSandbox, files: dict[str, str]) -> PatchFlowDeps:
    checkout = FakeCheckout(files)
    return validation_deps(
        tmp_path, connection=None, checkout_for=lambda _connection: checkout, sandbox=sandbox
    )


def _run(tmp_path: Path, sandbox: FakeSandbox, plan: FlowPlan) -> dict[str, Any]:
    deps = _deps(tmp_path, sandbox, {"src/app.py": "VALUE = 1\n"})
    return validate_proposal(
        deps, TASK, plan, "c0ffee" * 6 + "abcd", {"answer": PATCH, "format": "udiff"}
    )


def test_the_check_runs_once_even_with_the_repositorys_own_allow_list(tmp_path: Path) -> None:
    sandbox = FakeSandbox()
    plan = FlowPlan(check_command=("make", "test"), repo_allowed_paths=("src/**",))
    outcome = _run(tmp_path, sandbox, plan)
    assert outcome["ok"] and outcome["check"]["state"] == "passed"
    assert outcome["check"]["sparse_checkout"] is False
    assert [argv for _, argv, _ in sandbox.runs] == [("make", "test")]
    assert list((tmp_path / "work" / "acme").iterdir()) == []  # the workspace is removed


def test_setup_runs_before_the_patch_with_the_setup_network(tmp_path: Path) -> None:
    seen: list[str] = []

    def program(workspace: Path, argv, limits) -> tuple[int, str]:
        seen.append((workspace / "src/app.py").read_text())
        return 0, ""

    sandbox = FakeSandbox(program)
    plan = FlowPlan(check_command=("make", "test"), setup=("pip install -r requirements.txt",))
    assert _run(tmp_path, sandbox, plan)["ok"]
    [(_, setup, setup_limits), (_, check, check_limits)] = sandbox.runs
    assert setup == ("/bin/sh", "-c", "pip install -r requirements.txt")
    assert setup_limits.network is NetworkPolicy.SETUP
    assert check == ("make", "test") and check_limits.network is NetworkPolicy.NONE
    # setup (the only phase with a network) sees the code as committed; the check, the patch
    assert seen == ["VALUE = 1\n", "VALUE = 2\n"]


@pytest.mark.parametrize(
    ("plan", "sandbox", "reason"),
    [
        (FlowPlan(), FakeSandbox(), "no-check-configured"),
        (FlowPlan(check_command=("pytest",)), FakeSandbox(unavailable="no bwrap"), "no-sandbox"),
    ],
)
def test_a_check_that_cannot_run_is_unchecked_with_its_reason(
    tmp_path: Path, plan: FlowPlan, sandbox: FakeSandbox, reason: str
) -> None:
    outcome = _run(tmp_path, sandbox, plan)
    assert outcome["ok"] and sandbox.runs == []
    assert (outcome["check"]["state"], outcome["check"]["reason"]) == ("unchecked", reason)
    assert outcome["check"]["passed"] is False


def test_a_repository_too_large_to_check_out_is_unchecked(tmp_path: Path) -> None:
    sandbox = FakeSandbox()
    files = {f"f{i}.txt": "x" for i in range(5)} | {"src/app.py": "VALUE = 1\n"}
    deps = _deps(tmp_path, sandbox, files)
    reader = SimpleNamespace(read_file=lambda _t, _c, path: SimpleNamespace(text=files.get(path)))
    deps = replace(
        deps,
        scm_for=lambda _c: SimpleNamespace(repository=reader),
        checkout_limits=CheckoutLimits(max_files=3),
    )
    plan = FlowPlan(check_command=("pytest",))
    outcome = validate_proposal(deps, TASK, plan, "c" * 40, {"answer": PATCH, "format": "udiff"})
    assert outcome["ok"] and sandbox.runs == []
    assert (outcome["check"]["state"], outcome["check"]["reason"]) == ("unchecked", "too-large")


def test_unchecked_always_needs_a_human_even_when_the_rule_says_never() -> None:
    risk = assess_risk(
        FlowPlan(approval="never"),
        paths=["src/app.py"],
        deleted=[],
        lines_changed=2,
        check_passed=None,
        unchecked_reason="no sandbox can isolate the check on this host",
    )
    assert risk.approval_required
    assert any("not checked (no sandbox" in reason for reason in risk.reasons)


def test_unchecked_is_said_in_the_approval_request_the_pr_body_and_the_comment() -> None:
    check = {"state": "unchecked", "passed": False, "command": "pytest", "detail": "too large"}
    validation = {"stats": {"files": 1, "added": 1, "removed": 1}, "check": check, "diff": ""}
    risk = {"level": "medium", "reasons": ["not checked"], "approval_required": True}
    pr = {"url": "http://scm/pr/1", "branch": "agent/1"}
    approval = {"approver": "lead@contoso.example"}
    texts = [
        messages.approval_comment("http://app/t/1", risk, validation, 24),
        messages.pull_request_body(
            TASK, link="l", validation=validation, risk=risk, llm={}, approval=approval
        ),
        messages.result_comment(pr, validation, risk),
    ]
    for text in texts:
        assert "**unchecked**: too large" in text and "a human must approve it" in text
    failed = {**validation, "check": {**check, "state": "failed"}}
    assert "check `pytest` **failed**" in messages.result_comment(pr, failed, risk)


def test_agent_config_setup_keys_are_parsed_and_validated() -> None:
    config = parse_repo_config(
        "check_command: make test\nsetup: pip install -r requirements.txt\n"
        "setup_cache: [.venv]\ncheckout_paths: [src/]\n"
    )
    plan = plan_for({}, config)
    assert plan.setup == ("pip install -r requirements.txt",)
    assert (plan.setup_cache, plan.checkout_paths) == ((".venv",), ("src/",))
    assert FlowPlan.from_dict(plan.to_dict()) == plan
    with pytest.raises(InvalidInput, match="setup must be a list of non-empty strings"):
        parse_repo_config("setup: [1, 2]\n")


def test_workspaces_left_by_a_killed_process_are_removed_later(tmp_path: Path) -> None:
    old, recent = tmp_path / "work" / "acme" / "old", tmp_path / "work" / "acme" / "recent"
    for directory in (old, recent):
        (directory / "src").mkdir(parents=True)
    long_ago = time.time() - ABANDONED_AFTER_S - 60
    os.utime(old, (long_ago, long_ago))
    _run(tmp_path, FakeSandbox(), FlowPlan(check_command=("make",)))
    assert sorted(p.name for p in (tmp_path / "work" / "acme").iterdir()) == ["recent"]


def test_a_connection_git_cannot_use_is_unchecked_with_its_reason(tmp_path: Path) -> None:
    class Unsupported(FakeCheckout):
        def check_out(self, tenant, commit, destination, limits):
            raise CheckoutUnsupported("git checkout with entra credentials is not supported")

    files = {"src/app.py": "VALUE = 1\n"}
    reader = SimpleNamespace(read_file=lambda _t, _c, path: SimpleNamespace(text=files.get(path)))
    deps = replace(
        _deps(tmp_path, FakeSandbox(), files),
        checkout_for=lambda _c: Unsupported(files),
        scm_for=lambda _c: SimpleNamespace(repository=reader),
    )
    plan = FlowPlan(check_command=("pytest",))
    outcome = validate_proposal(deps, TASK, plan, "c" * 40, {"answer": PATCH, "format": "udiff"})
    assert outcome["ok"] and outcome["check"]["reason"] == "no-checkout"


def test_a_failed_setup_ends_the_task_after_one_attempt() -> None:
    """Setup runs before the patch: asking the model again cannot change it."""
    from tests.unit.patch_flow import test_orchestrator_status as replays

    failed = {"ok": False, "summary": "setup: the command exited with 1.", "setup_failed": True}
    before = [step for step in replays.RESULTS if step[0] != "validate_patch"]
    before = before[: [name for name, _ in before].index("generate_patch") + 1]
    results = [*before, ("validate_patch", failed)]
    state = replays._replay(completed=len(results), results=results)
    [finish] = state["actions"][0][-1]["compoundActions"]  # no second generate_patch
    assert finish["functionName"] == "finish_task"
    failure = json.loads(finish["input"])["detail"]["failure"]
    assert (failure["code"], failure["message"]) == ("setup-failed", failed["summary"])
    assert len(failure["attempts"]) == 1
