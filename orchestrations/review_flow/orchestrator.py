"""The review_flow orchestrator: deterministic, it only schedules activities and timers.

Steps: authorise (the requester may push; before anything is read) → start (config, plan, a
slot of the tenant's ``max_concurrent_tasks``) → gather the diff and related code → the model's
review → anchor and publish it (a re-run updates the earlier one) → finish. No branch, no
approval: nothing is pushed. Failures end the task like a fix's (``finish_task``: a comment on
the pull request and a dead-letter record). No I/O, clock, randomness or settings here.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrations.patch_flow.orchestrator import Flow, _conclude, _start, _step
from orchestrations.review_flow import bp


@bp.orchestration_trigger(context_name="context")
def review_flow(context: df.DurableOrchestrationContext) -> Flow:
    task: dict[str, Any] = context.get_input()
    return (yield from _conclude(context, task, "review_flow", _run(context, task)))


def _run(context: df.DurableOrchestrationContext, task: dict[str, Any]) -> Flow:
    base = {"task": task}
    plan = yield from _start(context, base)
    flags = {"scripted_llm": bool(plan.get("scripted_llm"))}
    gathered = yield from _step(
        context, "gather_review", {**base, "plan": plan}, {"step": "gathering-context", **flags}
    )
    proposal = yield from _step(
        context,
        "generate_review",
        {**base, "plan": plan, "gathered": gathered},
        {"step": "reviewing", **flags},
    )
    review = yield from _step(
        context,
        "publish_review",
        {**base, "gathered": gathered, "proposal": proposal},
        {"step": "publishing-review", **flags},
    )
    return {"review": review}
