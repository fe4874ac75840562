"""patch_flow use cases after validation: risk, approval request, PR, comments, the outcome.

Opening the PR and commenting are idempotent (deterministic branch ``agent/<task id>``, PR looked
up before it is created, one marked comment per task), so a re-run after a crash or a retry
yields exactly one PR and one comment.
"""

from __future__ import annotations

from typing import Any

from shared.domain.errors import DomainError
from shared.domain.scm import ChangeSet, FileChange, PullRequestDraft, agent_branch
from shared.domain.task import SourceKind, TaskStatus
from shared.policies.agent_config import FlowPlan
from shared.policies.risk import assess_risk as score_risk
from shared.services.patch_flow import messages
from shared.services.patch_flow.authorise import refuse
from shared.services.patch_flow.deps import PatchFlowDeps

OUTCOME_STATUS = {
    "completed": TaskStatus.COMPLETED,
    "failed": TaskStatus.FAILED,
    "rejected": TaskStatus.REJECTED,
    "expired": TaskStatus.EXPIRED,
    "not-authorised": TaskStatus.NOT_AUTHORISED,
}
#: Outcomes whose requester was already answered (or must not be: a refused author gets at most
#: one reply per window, from ``authorise.refuse``).
_NO_OUTCOME_COMMENT = frozenset({"completed", "not-authorised"})
#: Failures that refuse the command (the tenant's quota, not the task's fault): answered like
#: any refused command, at most once per author and window.
_REFUSALS = frozenset({"budget-exceeded"})


def assess_risk(
    deps: PatchFlowDeps, task: dict[str, Any], plan: dict[str, Any], validation: dict[str, Any]
) -> dict[str, Any]:
    check = validation.get("check") or {}
    risk = score_risk(
        FlowPlan.from_dict(plan),
        paths=sorted(validation["files"]),
        deleted=validation["deleted"],
        lines_changed=validation["stats"]["added"] + validation["stats"]["removed"],
        check_passed=None if check.get("state", "unchecked") == "unchecked" else check["passed"],
        unchecked_reason=check.get("detail"),
    ).to_dict()
    # what a reviewer reads (the approvals queue, the console's task page), whether or not the
    # policy asks for their approval: the diff and the check it passed
    review = {
        "diff": validation["diff"][:200_000],
        "stats": validation.get("stats"),
        "check": validation.get("check"),
    }
    lineage = {"risk": risk, "review": review}
    deps.record(task, "risk.assessed", risk, step="assessing-risk", lineage=lineage)
    return risk


def _link(deps: PatchFlowDeps, task: dict[str, Any]) -> str:
    return messages.task_link(deps.public_base_url, task["tenant"], task["id"])


def _comment(deps: PatchFlowDeps, task: dict[str, Any], body: str) -> str:
    comment = deps.scm(task).comments.upsert_comment(
        task["tenant"], SourceKind(task["source_kind"]), task["source_id"], task["id"], body
    )
    return comment.url or comment.id


def request_approval(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    risk: dict[str, Any],
    validation: dict[str, Any],
    deadline_hours: float,
) -> dict[str, Any]:
    body = messages.approval_comment(_link(deps, task), risk, validation, deadline_hours)
    comment = _comment(deps, task, body)
    deps.record(
        task,
        "approval.requested",
        {"risk": risk["level"], "comment": comment},
        status=TaskStatus.AWAITING_APPROVAL,
        step="awaiting-approval",
    )
    return {"comment": comment}


def open_pull_request(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    *,
    plan: dict[str, Any],
    validation: dict[str, Any],
    risk: dict[str, Any],
    approval: dict[str, Any] | None,
) -> dict[str, Any]:
    scm, tenant = deps.scm(task), task["tenant"]
    branch = agent_branch(task["id"])
    changes = tuple(FileChange(path, text) for path, text in sorted(validation["files"].items()))
    title = messages.pull_request_title(task, task.get("title", ""))
    push = scm.branches.push_change(
        tenant,
        ChangeSet(
            branch=branch,
            base_branch=plan["base_branch"],
            message=f"{title}\n\nTask {task['id']}: {_link(deps, task)}",
            changes=changes,
        ),
    )
    body = messages.pull_request_body(
        task,
        link=_link(deps, task),
        validation=validation,
        risk=risk,
        llm=validation.get("llm", {}),
        approval=approval,
        model_card=messages.model_card_link(
            deps.public_base_url, tenant, validation.get("llm", {})
        ),
    )
    pr = scm.pull_requests.open_pull_request(
        tenant,
        PullRequestDraft(
            branch=branch,
            base_branch=plan["base_branch"],
            title=title,
            body=body,
            labels=("ai-code-agent",),
            draft=risk["level"] == "high",
        ),
    )
    view = {
        "number": pr.number,
        "url": pr.url,
        "branch": pr.branch,
        "created": pr.created,
        "commit": push.commit_sha,
    }
    approver = approval["approver"] if approval else None
    deps.record(
        task,
        "pr.opened",
        {**view, "approver": approver},
        step="opening-pull-request",
        lineage={"pull_request": view, "approval": approval},
        pr_url=pr.url,
        approver=approver,
    )
    return view


def comment_result(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    pr: dict[str, Any],
    validation: dict[str, Any],
    risk: dict[str, Any],
) -> dict[str, Any]:
    comment = _comment(deps, task, messages.result_comment(pr, validation, risk))
    deps.record(task, "source.commented", {"comment": comment}, step="commenting")
    return {"comment": comment}


def finish_task(
    deps: PatchFlowDeps, task: dict[str, Any], outcome: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """Record the outcome; for anything but success, tell the requester why on the source (a
    refused command, e.g. over the tenant's budget, through ``authorise.refuse``: at most once
    per author and window; a requester refused by ``authorise`` was answered there already).

    The comment is best effort (the outcome is recorded even when the SCM is down); a failure
    also leaves a dead-letter record with the failing step and error code.
    """
    comment_error = None
    failure = detail.get("failure", {})
    if failure.get("code") in _REFUSALS:
        refuse(deps, task, str(failure["code"]))  # audited; one reply per author and window
    elif outcome not in _NO_OUTCOME_COMMENT:
        try:
            _comment(deps, task, messages.outcome_comment(outcome, detail))
        except DomainError as exc:
            comment_error = f"{exc.code}: {exc.message}"
    status = OUTCOME_STATUS[outcome]
    data = {"outcome": outcome, **({"comment_error": comment_error} if comment_error else {})}

    def dead_letter(tx: Any) -> None:
        deps.tasks.record_dead_letter(
            tx,
            task["id"],
            step=str(failure.get("step", "unknown")),
            error_code=str(failure.get("code", "error")),
            message=str(failure.get("message", ""))[:4000],
            details=detail,
        )

    deps.record(
        task,
        f"task.{outcome}",
        {**data, **detail},
        status=status,
        step=outcome,
        result={**detail, **data},
        lineage={"outcome": outcome},
        also=dead_letter if outcome == "failed" else None,
    )
    return {"status": str(status), **data}
