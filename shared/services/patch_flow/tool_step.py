"""One tool call of the model, as one activity: run on a fresh checkout of the task's commit,
recorded in the task's lineage and audit log.

The orchestrator schedules each call as its own activity, so a replay reads the recorded result
and never runs the call again; a retried activity (a crash after the call) finds its lineage
entry already there and does not add it twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.domain.llm_tools import ToolCall
from shared.policies.agent_config import FlowPlan
from shared.retrieval.index import RepoIndex
from shared.services.llm_hub.transcripts import redact_call
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.patch_flow.tools import CheckoutTools, ToolResult
from shared.services.patch_flow.validation import check_runner
from shared.services.patch_flow.workspace import checked_out


def run_tool(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    *,
    plan: dict[str, Any],
    commit: str,
    call: dict[str, Any],
    attempt: int,
    step: int,
) -> dict[str, Any]:
    """The result of ``call`` (``ToolResult.to_dict``); the lineage's ``tool_calls`` and an
    audit event ``tool.called`` say what was called (arguments redacted), whether it answered
    and what was cut or redacted (never the output itself, which the LLM transcript keeps
    sealed)."""
    flow = FlowPlan.from_dict(plan)
    tool_call = ToolCall.from_dict(call)
    key = deps.llm.redaction_key(task["tenant"])
    limits = replace(deps.checkout_limits, sparse=flow.checkout_paths)
    with checked_out(deps.checkout(task), task["tenant"], commit, deps.work_dir, limits) as ws:
        if ws.root is None:
            why = f"the repository cannot be checked out here ({ws.skipped_reason})"
            result = ToolResult(tool_call.id, tool_call.name, False, why)
        else:
            tools = CheckoutTools(
                ws.root,
                RepoIndex.from_checkout(ws.root),
                check_runner(deps, task, flow, ws),
                key,
            )
            result = tools.run(tool_call)
    entry = {
        "attempt": attempt,
        "step": step,
        "call": redact_call(tool_call, key).to_dict(),
        "ok": result.ok,
        "redactions": result.redactions,
        "truncated": result.truncated,
        "output_chars": len(result.output),
    }
    with deps.tasks.transaction(deps.tenants.locate(task["tenant"])) as tx:
        recorded = list(deps.tasks.get(tx, task["id"]).lineage.get("tool_calls", []))
    if not any(
        (e["attempt"], e["step"], e["call"]["id"]) == (attempt, step, tool_call.id)
        for e in recorded
    ):
        recorded.append(entry)
        deps.record(
            task,
            "tool.called",
            entry,
            step="using-tools",
            lineage={"tool_calls": recorded},
        )
    return result.to_dict()
