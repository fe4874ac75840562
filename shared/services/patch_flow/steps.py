"""patch_flow use cases up to a validated patch: plan, context, generation, validation.

Each takes and returns JSON-able dicts (the activity payloads). Permanent problems raise
non-retryable domain errors, which the activity edge turns into ``{"failed": ...}``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.adapters.store.postgres.tasks import get_task
from shared.domain.errors import PatchRejected, ScmNotFound
from shared.domain.task import SourceKind, TaskStatus
from shared.patching import (
    DEFAULT_DENIED_GLOBS,
    ApplyRefusal,
    CheckCommand,
    PatchPolicy,
    apply_edits,
    parse_edits,
    validate,
)
from shared.policies.agent_config import CONFIG_PATH, FlowPlan, parse_repo_config, plan_for
from shared.services.patch_flow.context import rank_candidates, select_context
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.patch_flow.workspace import Workspace, materialize

#: Violations the model may fix on another attempt; any other one is a policy violation.
_RETRYABLE_CODES = frozenset({"syntax-error", "check-failed", "check-timeout"})


def start_task(deps: PatchFlowDeps, task: dict[str, Any]) -> dict[str, Any]:
    tenant = deps.tenants.get(task["tenant"])
    scm = deps.scm(task)
    base_branch = scm.repository.default_branch(task["tenant"])
    try:
        config_text = scm.repository.read_file(task["tenant"], base_branch, CONFIG_PATH).text
    except ScmNotFound:
        config_text = None
    plan = plan_for(tenant.settings, parse_repo_config(config_text))
    scripted = deps.llm.is_scripted(task["tenant"], list(plan.llm_routes))
    lineage = {
        "trigger": {
            k: task.get(k)
            for k in (
                "delivery_id",
                "provider",
                "repository",
                "source_kind",
                "source_id",
                "requester",
            )
        },
        "plan": plan.to_dict(),
        "scripted_llm": scripted,
    }
    deps.record(
        task,
        "task.started",
        {"base_branch": base_branch, "scripted_llm": scripted},
        status=TaskStatus.RUNNING,
        step="starting",
        lineage=lineage,
    )
    return {**plan.to_dict(), "base_branch": base_branch, "scripted_llm": scripted}


def gather_context(
    deps: PatchFlowDeps, task: dict[str, Any], plan: dict[str, Any]
) -> dict[str, Any]:
    scm, tenant = deps.scm(task), task["tenant"]
    source = scm.source.get_source(tenant, SourceKind(task["source_kind"]), task["source_id"])
    tree = scm.repository.list_tree(tenant, plan["base_branch"])
    discussion = "\n\n".join(c.body for c in source.comments if c.task_id is None)
    text = "\n".join([source.title, source.body, task["instruction"], discussion])
    files = select_context(
        rank_candidates(tree.entries, text),
        lambda path: scm.repository.read_file(tenant, tree.commit_sha, path),
        text,
        int(plan["context_budget_tokens"]),
        whole_files=plan["edit_format"] == "whole",
    )
    lineage = {"commit": tree.commit_sha, "context_files": [f.lineage() for f in files]}
    deps.record(task, "context.gathered", lineage, step="gathering-context", lineage=lineage)
    return {
        "commit": tree.commit_sha,
        "source": {
            "title": source.title,
            "body": source.body,
            "author": source.author,
            "url": source.url,
            "discussion": discussion,
        },
        "files": [{"path": f.path, "text": f.text} for f in files],
    }


def generate_patch(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    *,
    plan: dict[str, Any],
    context: dict[str, Any],
    attempt: int,
    feedback: str | None,
) -> dict[str, Any]:
    result = deps.llm.generate_patch(
        tenant=task["tenant"],
        task_id=task["id"],
        edit_format=plan["edit_format"],
        routes=plan["llm_routes"],
        variables={
            "command": task["command"],
            "instruction": task["instruction"],
            "title": context["source"]["title"],
            "body": context["source"]["body"],
            "discussion": context["source"]["discussion"],
            "files": context["files"],
            "feedback": feedback or "",
            "attempt": attempt,
        },
    )
    deps.record(
        task, "patch.generated", {"attempt": attempt, **result["llm"]}, step="generating-patch"
    )
    return dict(result)


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


def validate_patch(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    *,
    plan_data: dict[str, Any],
    context: dict[str, Any],
    proposal: dict[str, Any],
    attempt: int,
) -> dict[str, Any]:
    plan = FlowPlan.from_dict(plan_data)
    outcome = _validate(deps, task, plan, context["commit"], proposal)
    attempts = list(_lineage(deps, task).get("attempts", []))
    attempts.append(
        {
            "attempt": attempt,
            "ok": outcome["ok"],
            "summary": outcome["summary"],
            "llm": proposal.get("llm", {}),
            "check": outcome.get("check"),
        }
    )
    deps.record(
        task,
        "patch.validated",
        {"attempt": attempt, "ok": outcome["ok"], "summary": outcome["summary"]},
        step="validating-patch",
        lineage={"attempts": attempts},
    )
    return outcome


def _lineage(deps: PatchFlowDeps, task: dict[str, Any]) -> dict[str, Any]:
    with deps.db.tenant_transaction(deps.tenants.locate(task["tenant"])) as tx:
        return get_task(tx, task["id"]).lineage


def _validate(
    deps: PatchFlowDeps, task: dict[str, Any], plan: FlowPlan, commit: str, proposal: dict[str, Any]
) -> dict[str, Any]:
    try:
        edits = parse_edits(proposal["answer"], proposal["format"])
    except PatchRejected as exc:
        return _failed(
            f"no usable edit: {exc.message}",
            f"Your answer had no usable edit: "
            f"{exc.message}. Answer with an edit in the requested format.",
        )
    scm = deps.scm(task)
    tree = scm.repository.list_tree(task["tenant"], commit)
    workspace = materialize(scm.repository, task["tenant"], tree, deps.work_dir)
    paths = {p for e in edits for p in (e.old_path, e.new_path) if p}
    snapshot = {p: t for p in paths if (t := _text(deps, task, workspace, commit, p)) is not None}
    applied = apply_edits(snapshot, edits)
    if isinstance(applied, ApplyRefusal):
        return _failed(
            f"edit could not be applied ({len(applied.failures)} hunk(s))", applied.to_feedback()
        )
    check = None
    if plan.check_command and workspace.root is not None:
        check = CheckCommand(tuple(plan.check_command), timeout_s=float(plan.check_timeout_s))
    report = None
    for policy in _policy(plan):
        report = validate(applied, policy, root=workspace.root, check=check)
        if not report.ok:
            break
    assert report is not None
    check_view = (
        None
        if report.check is None
        else {
            "command": " ".join(plan.check_command),
            "passed": report.check.passed,
            "exit_code": report.check.exit_code,
            "output_tail": report.check.output_tail[-2000:],
        }
    )
    if not report.ok:
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
        "check_skipped": workspace.skipped_reason,
        "llm": proposal.get("llm", {}),
    }


def _text(
    deps: PatchFlowDeps, task: dict[str, Any], workspace: Workspace, commit: str, path: str
) -> str | None:
    if workspace.root is not None:
        return workspace.text(path)
    try:
        return deps.scm(task).repository.read_file(task["tenant"], commit, path).text
    except ScmNotFound:
        return None


def _failed(summary: str, feedback: str) -> dict[str, Any]:
    return {"ok": False, "summary": summary, "feedback": feedback, "policy_violation": False}
