"""patch_flow activities: each takes one JSON dict, gets its use case from the composition root,
and calls it. Retryable domain errors (and anything unexpected) propagate so the orchestrator's
``RetryOptions`` retry them; permanent ones come back as ``{"failed": {code, message}}``.

Each activity runs in its span, a child of the orchestration's span named by the trace carrier
in its input (``shared.telemetry.tracing``); ``finish_task`` emits that orchestration span and
the task metrics once the task's outcome is known."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from orchestrations.patch_flow import bp

log = logging.getLogger(__name__)
Payload = dict[str, Any]


def _edge(
    name: str,
    payload: Payload,
    use_case: Callable[[Any], Payload],
    then: Callable[[dict[str, str] | None, Payload], None] | None = None,
) -> Payload:
    """Run ``use_case`` in the activity's span; ``then(trace carrier, result)`` after it
    succeeded (the task's telemetry)."""
    from shared.bootstrap import container
    from shared.domain.errors import DomainError
    from shared.telemetry.tracing import activity_span, carrier_of

    task = payload["task"]
    carrier = carrier_of(payload)
    try:
        with activity_span(name, task["tenant"], task["id"], carrier):
            result = use_case(container().patch_flow)
            if then is not None:
                then(carrier, result)
            return result
    except DomainError as exc:
        log.warning(
            "activity %s failed: %s (%s)",
            name,
            exc.message,
            exc.code,
            extra={"tenant_id": task["tenant"], "task_id": task["id"]},
        )
        if exc.retryable:
            raise
        return {"failed": {"code": exc.code, "message": exc.message}}
    except Exception:
        log.exception(
            "activity %s crashed", name, extra={"tenant_id": task["tenant"], "task_id": task["id"]}
        )
        raise


@bp.activity_trigger(input_name="payload")
def authorise(payload: Payload) -> Payload:
    from shared.services.patch_flow import authorise as use_case

    return _edge("authorise", payload, lambda d: use_case.authorise(d, payload["task"]))


@bp.activity_trigger(input_name="payload")
def reply_refusal(payload: Payload) -> Payload:
    from shared.services.patch_flow import authorise as use_case
    from shared.telemetry.tracing import emit_orchestration_span

    return _edge(
        "reply_refusal",
        payload,
        lambda d: {"replied": use_case.refuse(d, payload["task"], payload["reason"])},
        lambda carrier, _: emit_orchestration_span(
            "refusal_reply", carrier, "refused", payload["task"]["tenant"], payload["task"]["id"]
        ),
    )


@bp.activity_trigger(input_name="payload")
def start_task(payload: Payload) -> Payload:
    from shared.services.patch_flow import steps

    return _edge("start_task", payload, lambda d: steps.start_task(d, payload["task"]))


@bp.activity_trigger(input_name="payload")
def gather_context(payload: Payload) -> Payload:
    from shared.services.patch_flow import steps

    return _edge(
        "gather_context",
        payload,
        lambda d: steps.gather_context(d, payload["task"], payload["plan"]),
    )


@bp.activity_trigger(input_name="payload")
def generate_patch(payload: Payload) -> Payload:
    from shared.services.patch_flow import steps

    return _edge(
        "generate_patch",
        payload,
        lambda d: steps.generate_patch(
            d,
            payload["task"],
            plan=payload["plan"],
            context=payload["context"],
            attempt=payload["attempt"],
            feedback=payload["feedback"],
            history=payload.get("history"),
            tools=bool(payload.get("tools")),
            previous_answer=payload.get("previous_answer"),
        ),
    )


@bp.activity_trigger(input_name="payload")
def run_tool(payload: Payload) -> Payload:
    from shared.services.patch_flow import tool_step

    return _edge(
        "run_tool",
        payload,
        lambda d: tool_step.run_tool(
            d,
            payload["task"],
            plan=payload["plan"],
            commit=payload["context"]["commit"],
            call=payload["call"],
            attempt=payload["attempt"],
            step=payload["step"],
        ),
    )


@bp.activity_trigger(input_name="payload")
def validate_patch(payload: Payload) -> Payload:
    from shared.services.patch_flow import steps

    return _edge(
        "validate_patch",
        payload,
        lambda d: steps.validate_patch(
            d,
            payload["task"],
            plan_data=payload["plan"],
            context=payload["context"],
            proposal=payload["proposal"],
            attempt=payload["attempt"],
        ),
    )


@bp.activity_trigger(input_name="payload")
def assess_risk(payload: Payload) -> Payload:
    from shared.services.patch_flow import delivery

    return _edge(
        "assess_risk",
        payload,
        lambda d: delivery.assess_risk(d, payload["task"], payload["plan"], payload["validation"]),
    )


@bp.activity_trigger(input_name="payload")
def request_approval(payload: Payload) -> Payload:
    from shared.services.patch_flow import delivery

    return _edge(
        "request_approval",
        payload,
        lambda d: delivery.request_approval(
            d,
            payload["task"],
            payload["risk"],
            payload["validation"],
            float(payload["plan"]["approval_timeout_hours"]),
        ),
    )


@bp.activity_trigger(input_name="payload")
def verify_approval(payload: Payload) -> Payload:
    from shared.services.patch_flow import approval
    from shared.telemetry.tasks import approval_waited

    return _edge(
        "verify_approval",
        payload,
        lambda d: approval.verify_approval(d, payload["task"], payload["event"]),
        lambda _, result: approval_waited(payload["task"]["tenant"], result.get("waited_s")),
    )


@bp.activity_trigger(input_name="payload")
def open_pull_request(payload: Payload) -> Payload:
    from shared.services.patch_flow import delivery

    return _edge(
        "open_pull_request",
        payload,
        lambda d: delivery.open_pull_request(
            d,
            payload["task"],
            plan=payload["plan"],
            validation=payload["validation"],
            risk=payload["risk"],
            approval=payload["approval"],
        ),
    )


@bp.activity_trigger(input_name="payload")
def comment_result(payload: Payload) -> Payload:
    from shared.services.patch_flow import delivery

    return _edge(
        "comment_result",
        payload,
        lambda d: delivery.comment_result(
            d, payload["task"], payload["pr"], payload["validation"], payload["risk"]
        ),
    )


@bp.activity_trigger(input_name="payload")
def finish_task(payload: Payload) -> Payload:
    from shared.services.patch_flow import delivery, steps
    from shared.telemetry.tasks import task_finished

    task, outcome = payload["task"], payload["outcome"]
    llm: list[str | None] = []

    def finish(d: Any) -> Payload:
        llm.append(steps.llm_provider(d, task))
        return delivery.finish_task(d, task, outcome, payload["detail"])

    return _edge(
        "finish_task",
        payload,
        finish,
        lambda carrier, _: task_finished(
            payload.get("flow", "patch_flow"), task, outcome, carrier, llm[0]
        ),
    )
