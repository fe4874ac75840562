"""Checking one proposed edit against a checkout of the task's commit: parse, apply, the
tenant's and the repository's path policies, then the repository's check in the sandbox.

Split from ``steps`` (the activity use cases) because it is the one part that touches a
checkout and the sandbox; ``run_check`` (``tool_step``) reuses its check runner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from shared.domain.errors import PatchRejected, ScmNotFound
from shared.domain.llm import FinishReason
from shared.patching import (
    DEFAULT_DENIED_GLOBS,
    ApplyRefusal,
    CheckCommand,
    PatchPolicy,
    SandboxCheck,
    apply_edits,
    parse_edits,
    validate,
)
from shared.patching.check import unchecked
from shared.patching.dependencies import DependencyCache
from shared.patching.validate import CheckRunner
from shared.policies.agent_config import FlowPlan
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.patch_flow.workspace import Workspace, checked_out

#: Violations the model may fix on another attempt; any other one is a policy violation, except
#: a failed setup: it runs on the unpatched repository, so no attempt can change it (it ends the
#: task with ``setup_failed`` and says why).
_RETRYABLE_CODES = frozenset({"syntax-error", "check-failed", "check-timeout"})
_SETUP_CODES = frozenset({"setup-failed", "setup-timeout"})


def _policy(plan: FlowPlan) -> tuple[PatchPolicy, ...]:
    """The tenant's policy, plus the repository's allow-list when it has one (both must pass)."""
    tenant = PatchPolicy(
        allowed_globs=plan.allowed_paths,
        denied_globs=DEFAULT_DENIED_GLOBS + plan.denied_paths,
        max_files=plan.max_files,
        max_changed_lines=plan.max_changed_lines,
    )
    if not plan.repo_allowed_paths:
        return (tenant,)
    return tenant, replace(tenant, allowed_globs=plan.repo_allowed_paths)


def validate_proposal(
    deps: PatchFlowDeps, task: dict[str, Any], plan: FlowPlan, commit: str, proposal: dict[str, Any]
) -> dict[str, Any]:
    if proposal.get("llm", {}).get("finish_reason") == FinishReason.LENGTH:
        # Cut short at the output limit even after the hub's larger retry: never applied.
        return _failed(
            "answer cut short by the model's output limit",
            "Your answer was cut short by the output limit, so nothing was applied. Send a "
            "narrower edit: only the files and hunks that change, as a diff, no whole files.",
        )
    try:
        edits = parse_edits(proposal["answer"], proposal["format"])
    except PatchRejected as exc:
        return _failed(
            f"no usable edit: {exc.message}",
            f"Your answer had no usable edit: "
            f"{exc.message}. Answer with an edit in the requested format.",
        )
    limits = replace(deps.checkout_limits, sparse=plan.checkout_paths)
    with checked_out(deps.checkout(task), task["tenant"], commit, deps.work_dir, limits) as ws:
        paths = {p for e in edits for p in (e.old_path, e.new_path) if p}
        snapshot = ws.texts(paths) if ws.root is not None else _read(deps, task, commit, paths)
        applied = apply_edits(snapshot, edits)
        if isinstance(applied, ApplyRefusal):
            return _failed(
                f"edit could not be applied ({len(applied.failures)} hunk(s))",
                applied.to_feedback(),
            )
        policies = _policy(plan)
        report = None
        for index, policy in enumerate(policies):
            # the check goes with the last policy: it runs once, and only if all others pass
            last = index == len(policies) - 1
            check = check_runner(deps, task, plan, ws) if last else None
            report = validate(applied, policy, root=ws.root, check=check)
            if not report.ok:
                break
        assert report is not None
        sparse = ws.sparse
    check_view = None if report.check is None else report.check.to_dict()
    if check_view is not None:
        check_view["sparse_checkout"] = sparse  # the check saw only ``checkout_paths``
    if not report.ok:
        if report.codes & _SETUP_CODES and report.check is not None:
            summary = f"setup: {report.check.detail} Command: {report.check.command!r}."
            return {
                **_failed(summary, report.to_feedback()),
                "setup_failed": True,
                "check": check_view,
            }
        policy_violation = not report.codes <= _RETRYABLE_CODES
        return {
            **_failed("; ".join(sorted(report.codes)), report.to_feedback()),
            "policy_violation": policy_violation,
            "check": check_view,
        }
    return {
        "ok": True,
        "summary": f"{applied.files_changed} file(s), +{applied.lines_added} "
        f"-{applied.lines_removed}",
        "files": applied.files,
        "diff": applied.diff,
        "stats": {
            "files": applied.files_changed,
            "added": applied.lines_added,
            "removed": applied.lines_removed,
        },
        "deleted": [p for p, text in applied.files.items() if text is None],
        "check": check_view,
        "llm": proposal.get("llm", {}),
    }


def check_runner(
    deps: PatchFlowDeps, task: dict[str, Any], plan: FlowPlan, workspace: Workspace
) -> CheckRunner:
    """The check of this attempt (or of the model's ``run_check`` tool), or what says why it
    cannot run (``unchecked``)."""
    display = " ".join(plan.check_command)
    if not plan.check_command:
        return lambda _files: unchecked(display, "no-check-configured")
    if workspace.root is None:
        return lambda _files: unchecked(display, workspace.skipped_reason or "too-large")
    if deps.sandbox.unavailable_reason() is not None:
        return lambda _files: unchecked(display, "no-sandbox")
    command = CheckCommand(
        tuple(plan.check_command),
        timeout_s=float(plan.check_timeout_s),
        setup=tuple(("/bin/sh", "-c", line) for line in plan.setup),
        cache_paths=plan.setup_cache,
    )
    cache = DependencyCache(deps.dependency_cache_dir, f"{task['provider']}:{task['repository']}")
    return SandboxCheck(
        deps.sandbox, task["tenant"], command, workspace.root, cache, deps.setup_network
    )


def _read(
    deps: PatchFlowDeps, task: dict[str, Any], commit: str, paths: Iterable[str]
) -> dict[str, str]:
    """The files an edit needs, through the SCM API (repositories too large to check out)."""
    texts = {}
    for path in paths:
        try:
            text = deps.scm(task).repository.read_file(task["tenant"], commit, path).text
        except ScmNotFound:
            continue
        if text is not None:
            texts[path] = text
    return texts


def _failed(summary: str, feedback: str) -> dict[str, Any]:
    return {"ok": False, "summary": summary, "feedback": feedback, "policy_violation": False}
