"""The patch_flow orchestrator: deterministic, it only schedules activities, timers and waits.

Steps: authorise (the requester may push to the repository; before anything else is read) →
start (config + policy) → gather context → up to N attempts of (generate patch, validate),
each failure fed back to the model; within an attempt the model may first call tools (search,
read, list, find, check: each call one ``run_tool`` activity, bounded by the plan's
``max_tool_steps`` and ``max_tool_tokens``) → assess risk → human approval when required (an
``approval`` event naming a recorded decision, verified by an activity, raced against a durable
timer) → open the PR → comment back → finish.
``custom_status`` always names the current step. Transient activity failures are retried by
``RetryOptions``; activities report permanent failures as ``{"failed": {...}}`` results, and a
failure that outlives its retries is caught here: both end the task with a comment on the source
and a dead-letter record. No I/O, clock, randomness or settings here (STYLE.md).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrations.patch_flow import bp

RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2_000, max_number_of_attempts=4)
Flow = Generator[Any, Any, dict[str, Any]]


class Stop(Exception):
    """Ends the flow early with an outcome (failed, rejected, expired, not-authorised)."""

    def __init__(self, outcome: str, detail: dict[str, Any]) -> None:
        super().__init__(outcome)
        self.outcome, self.detail = outcome, detail


@bp.orchestration_trigger(context_name="context")
def patch_flow(context: df.DurableOrchestrationContext) -> Flow:
    task: dict[str, Any] = context.get_input()
    return (yield from _conclude(context, task, "patch_flow", _run(context, task)))


def _conclude(
    context: df.DurableOrchestrationContext, task: dict[str, Any], flow: str, steps: Flow
) -> Flow:
    """Run a flow's ``steps``; however they end (done, a ``Stop``, an activity failed after its
    retries), ``finish_task`` ends the task under ``flow``'s name, so no task is left open."""
    try:
        outcome, detail = "completed", (yield from steps)
    except Stop as stop:
        outcome, detail = stop.outcome, stop.detail
    except Exception as exc:  # an activity failed after its retries
        message = str(exc).split("\n\n$OutOfProcData$", 1)[0]
        outcome = "failed"
        detail = {"failure": {"code": "activity-failed", "message": message[:2000]}}
    context.set_custom_status({"step": outcome})
    result = yield _call(
        context, "finish_task", {"task": task, "outcome": outcome, "detail": detail, "flow": flow}
    )
    return {"outcome": outcome, "task": task["id"], **detail, **result}


def _call(context: df.DurableOrchestrationContext, name: str, payload: dict[str, Any]) -> Any:
    return context.call_activity_with_retry(name, RETRY, payload)


def _step(
    context: df.DurableOrchestrationContext,
    name: str,
    payload: dict[str, Any],
    status: dict[str, Any],
) -> Flow:
    """Set the status, run one activity, and stop the flow on a permanent failure."""
    context.set_custom_status(status)
    result: dict[str, Any] = yield _call(context, name, payload)
    if "failed" in result:
        raise Stop("failed", {"failure": {**result["failed"], "step": name}})
    return result


def _run(context: df.DurableOrchestrationContext, task: dict[str, Any]) -> Flow:
    base = {"task": task}
    plan = yield from _start(context, base)
    flags = {"scripted_llm": bool(plan.get("scripted_llm"))}
    gathered = yield from _step(
        context,
        "gather_context",
        {**base, "plan": plan},
        {"step": "gathering-context", **flags},
    )
    validation = yield from _produce_patch(context, base, plan, gathered, flags)
    risk = yield from _step(
        context,
        "assess_risk",
        {**base, "plan": plan, "validation": validation},
        {"step": "assessing-risk", **flags},
    )
    approval = None
    if risk["approval_required"]:
        approval = yield from _await_approval(
            context, base, plan=plan, risk=risk, validation=validation, flags=flags
        )
    pr = yield from _step(
        context,
        "open_pull_request",
        {**base, "plan": plan, "validation": validation, "risk": risk, "approval": approval},
        {"step": "opening-pull-request", **flags},
    )
    yield from _step(
        context,
        "comment_result",
        {**base, "pr": pr, "validation": validation, "risk": risk},
        {"step": "commenting", "pr": pr["url"], **flags},
    )
    return {"pr": pr, "risk": risk, "attempts": validation["attempts"]}


def _start(context: df.DurableOrchestrationContext, base: dict[str, Any]) -> Flow:
    """``authorise`` (before anything is read; a refusal stops the flow), then ``start_task``,
    asked again after a durable timer while the tenant's ``max_concurrent_tasks`` are all
    running: a queued task waits, it is never dropped. The plan."""
    authorised = yield from _step(context, "authorise", base, {"step": "authorising"})
    if not authorised["authorised"]:
        raise Stop("not-authorised", {"refusal": authorised})
    while True:
        plan = yield from _step(context, "start_task", base, {"step": "starting"})
        if "wait_s" not in plan:
            return plan
        context.set_custom_status({"step": "waiting-for-slot"})
        wake = context.current_utc_datetime + timedelta(seconds=float(plan["wait_s"]))
        yield context.create_timer(wake)


def _produce_patch(
    context: df.DurableOrchestrationContext,
    base: dict[str, Any],
    plan: dict[str, Any],
    gathered: dict[str, Any],
    flags: dict[str, Any],
) -> Flow:
    """Generate and validate up to ``max_attempts`` times; the validation that passed."""
    feedback: str | None = None
    previous: str | None = None
    attempts: list[dict[str, Any]] = []
    for attempt in range(1, int(plan["max_attempts"]) + 1):
        proposal = yield from _propose(
            context,
            base,
            plan=plan,
            gathered=gathered,
            attempt=attempt,
            feedback=feedback,
            previous=previous,
            flags=flags,
        )
        validation = yield from _step(
            context,
            "validate_patch",
            {**base, "plan": plan, "context": gathered, "proposal": proposal, "attempt": attempt},
            {"step": "validating-patch", "attempt": attempt, **flags},
        )
        attempts.append(
            {"attempt": attempt, "ok": validation["ok"], "summary": validation["summary"]}
        )
        if validation["ok"]:
            return {**validation, "attempts": attempts}
        if validation.get("policy_violation"):
            code = "policy-violation"  # not something the model may retry around
            break
        if validation.get("setup_failed"):
            code = "setup-failed"  # setup runs before the patch: no attempt can change it
            break
        code = "validation-failed"
        feedback, previous = validation["feedback"], proposal.get("answer")
    raise Stop(
        "failed",
        {
            "failure": {
                "code": code,
                "step": "validate_patch",
                "message": attempts[-1]["summary"],
                "attempts": attempts,
            }
        },
    )


def _propose(
    context: df.DurableOrchestrationContext,
    base: dict[str, Any],
    *,
    plan: dict[str, Any],
    gathered: dict[str, Any],
    attempt: int,
    feedback: str | None,
    previous: str | None,
    flags: dict[str, Any],
) -> Flow:
    """The attempt's proposal (``previous``: the last attempt's answer, fed back with why it
    failed). While this attempt's tool calls and tool-turn tokens are within
    the plan's budget, the model is offered the tools; each call it asks for runs as its own
    activity and its result goes back to it. Calls past the step budget are answered "not run"
    (every call needs an answer); once the budget is spent the tools stay in the request only
    to describe the earlier turns, and further calls are not run."""
    max_steps, max_tokens = int(plan.get("max_tool_steps", 0)), int(plan.get("max_tool_tokens", 0))
    history: list[dict[str, Any]] = []
    steps = tokens = 0
    while True:
        offer = steps < max_steps and tokens < max_tokens
        proposal: dict[str, Any] = yield from _step(
            context,
            "generate_patch",
            {
                **base,
                "plan": plan,
                "context": gathered,
                "attempt": attempt,
                "feedback": feedback,
                "previous_answer": previous,
                "history": history,
                "tools": offer or bool(history),
            },
            {"step": "generating-patch", "attempt": attempt, **flags},
        )
        llm = proposal.get("llm", {})
        calls = llm.get("tool_calls") or []
        if not offer or not calls:
            return proposal
        tokens += int(llm.get("input_tokens", 0)) + int(llm.get("output_tokens", 0))
        history.append({"role": "assistant", "content": proposal["answer"], "tool_calls": calls})
        for call in calls:
            steps += 1
            if steps > max_steps:
                output = "not run: this attempt's tool budget is spent; answer with the edit"
            else:
                result = yield from _step(
                    context,
                    "run_tool",
                    {**base, "plan": plan, "context": gathered, "call": call,
                     "attempt": attempt, "step": steps},
                    {"step": "using-tools", "attempt": attempt, "tool": call["name"], **flags},
                )  # fmt: skip
                output = result["output"]
            history.append(
                {
                    "role": "tool",
                    "content": output,
                    "tool_call_id": call["id"],
                    "tool_name": call["name"],
                }
            )


def _await_approval(
    context: df.DurableOrchestrationContext,
    base: dict[str, Any],
    *,
    plan: dict[str, Any],
    risk: dict[str, Any],
    validation: dict[str, Any],
    flags: dict[str, Any],
) -> Flow:
    """Wait for a verified decision or the deadline; the approval, or ``Stop`` (rejected/expired).

    The status says ``awaiting-approval`` only once the request is recorded: from then on the
    approval API accepts a decision (before, it answers 409 ``not-awaiting-approval``). Each
    ``approval`` event is checked by ``verify_approval`` against the recorded decision it names;
    one that fails is ignored (and audited) and the wait goes on, under the same timer."""
    status = {"risk": risk["level"], **flags}
    yield from _step(
        context,
        "request_approval",
        {**base, "plan": plan, "risk": risk, "validation": validation},
        {"step": "requesting-approval", **status},
    )
    hours = float(plan["approval_timeout_hours"])
    deadline = context.current_utc_datetime + timedelta(hours=hours)
    timer = context.create_timer(deadline)
    while True:
        context.set_custom_status({"step": "awaiting-approval", **status})
        decision = context.wait_for_external_event("approval")
        winner = yield context.task_any([decision, timer])
        if winner != decision:
            raise Stop("expired", {"deadline": deadline.isoformat()})
        verdict = yield from _step(
            context,
            "verify_approval",
            {**base, "event": decision.result},
            {"step": "verifying-approval", **status},
        )
        if verdict["verified"]:
            break
    timer.cancel()
    approval: dict[str, Any] = verdict["approval"]
    if approval["decision"] != "approve":
        raise Stop("rejected", {"decision": approval})
    return approval
