"""patch_flow use cases up to a validated patch: plan, context, generation, validation.

Each takes and returns JSON-able dicts (the activity payloads). Permanent problems raise
non-retryable domain errors, which the activity edge turns into ``{"failed": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from shared.domain.errors import PatchRejected, ScmNotFound
from shared.domain.llm import FinishReason
from shared.domain.task import SourceKind, TaskStatus
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
from shared.policies.agent_config import CONFIG_PATH, FlowPlan, parse_repo_config, plan_for
from shared.services.patch_flow.context import rank_candidates, select_context
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.patch_flow.tools import TOOL_SPECS, history_messages
from shared.services.patch_flow.workspace import Workspace, checked_out

#: Violations the model may fix on another attempt; any other one is a policy violation, except
#: a failed setup: it runs on the unpatched repository, so no attempt can change it (it ends the
#: task with ``setup_failed`` and says why).
_RETRYABLE_CODES = frozenset({"syntax-error", "check-failed", "check-timeout"})
_SETUP_CODES = frozenset({"setup-failed", "setup-timeout"})


def start_task(deps: PatchFlowDeps, task: dict[str, Any]) -> dict[str, Any]:
    """The task's plan, once it holds one of the tenant's ``max_concurrent_tasks`` slots;
    ``{"wait_s": ...}`` while they are all taken (the flow waits and asks again)."""
    if not deps.slots.claim(task["tenant"], task["id"]):
        return {"wait_s": deps.slot_retry_s}
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
    history: list[dict[str, Any]] | None = None,
    tools: bool = False,
    previous_answer: str | None = None,
) -> dict[str, Any]:
    """The model's next answer: an edit, or (when ``tools``) the tool calls it asks for first,
    after this attempt's earlier tool turns (``history``). ``feedback`` and
    ``previous_answer`` say what the last attempt answered and why it failed."""
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
            "previous_answer": previous_answer or "",
            "attempt": attempt,
        },
        history=history_messages(history or []),
        tools=TOOL_SPECS if tools else (),
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
    with deps.tasks.transaction(deps.tenants.locate(task["tenant"])) as tx:
        return deps.tasks.get(tx, task["id"]).lineage


def _validate(
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


def llm_provider(deps: PatchFlowDeps, task: dict[str, Any]) -> str | None:
    """The LLM provider kind of the task's last validated attempt (None before any)."""
    attempts = _lineage(deps, task).get("attempts") or [{}]
    provider = (attempts[-1].get("llm") or {}).get("provider")
    return str(provider) if provider else None
