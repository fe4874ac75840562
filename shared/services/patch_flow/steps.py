"""patch_flow use cases up to a validated patch: plan, context, generation, validation.

Each takes and returns JSON-able dicts (the activity payloads). Permanent problems raise
non-retryable domain errors, which the activity edge turns into ``{"failed": ...}``.
"""

from __future__ import annotations

from typing import Any

from shared.domain.errors import ScmNotFound
from shared.domain.task import SourceKind, TaskStatus
from shared.policies.agent_config import CONFIG_PATH, FlowPlan, parse_repo_config, plan_for
from shared.services.patch_flow.context import rank_candidates, select_context
from shared.services.patch_flow.deps import PatchFlowDeps, kept_index
from shared.services.patch_flow.tools import TOOL_SPECS, history_messages
from shared.services.patch_flow.validation import validate_proposal


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
    kept = kept_index(deps, task, tree.commit_sha)
    files = select_context(
        rank_candidates(tree.entries, text),
        lambda path: scm.repository.read_file(tenant, tree.commit_sha, path),
        text,
        int(plan["context_budget_tokens"]),
        whole_files=plan["edit_format"] == "whole",
        index=kept.index if kept else None,
    )
    lineage = {
        "commit": tree.commit_sha,
        "context_files": [f.lineage() for f in files],
        "index": kept.lineage() if kept else {"kind": "fresh", "commit": tree.commit_sha},
    }
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
    outcome = validate_proposal(deps, task, plan, context["commit"], proposal)
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


def llm_provider(deps: PatchFlowDeps, task: dict[str, Any]) -> str | None:
    """The LLM provider kind of the task's last validated attempt, or of a review task's call
    (``review_llm``, which review_flow records on publishing); None before any."""
    lineage = _lineage(deps, task)
    attempts = lineage.get("attempts") or [{}]
    provider = (attempts[-1].get("llm") or lineage.get("review_llm") or {}).get("provider")
    return str(provider) if provider else None
