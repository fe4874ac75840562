"""The patch_flow orchestrator under the real Durable SDK (its registered ``handle``), replaying
recorded histories: what its custom status tells a client around the approval request."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from devhost.durable.events import EventType, format_time
from orchestrations.patch_flow.orchestrator import patch_flow
from tests.support.orchestration_history import History

TASK = {"id": "t-1", "tenant": "acme"}
#: Activity results, in the order the flow schedules them up to the approval wait.
RESULTS: list[tuple[str, Any]] = [
    ("authorise", {"authorised": True, "role": "write"}),
    ("start_task", {"scripted_llm": False, "max_attempts": 3, "approval_timeout_hours": 24}),
    ("gather_context", {"commit": "c0ffee", "files": []}),
    ("generate_patch", {"answer": "a diff"}),
    ("validate_patch", {"ok": True, "summary": "1 file(s), +1 -1"}),
    ("assess_risk", {"level": "low", "approval_required": True}),
    ("request_approval", {"comment": "comment-1"}),
]


def _replay(
    completed: int,
    approvals: list[tuple[Any, Any]] | None = None,
    *,
    fired: bool = False,
    results: list[tuple[str, Any]] = RESULTS,
) -> dict[str, Any]:
    """The orchestrator's state after the first ``completed`` activities returned (one episode
    each, as Durable records them); then, for each of ``approvals``, an ``approval`` event with
    the first value as payload, answered by ``verify_approval`` with the second; then, when
    ``fired``, the approval deadline's timer."""
    history = History("patch_flow", TASK)
    history.activities(results[:completed])
    add = history.add
    seq = completed
    if approvals:
        fire_at = format_time(history.clock + timedelta(hours=24, seconds=1))
        add(EventType.TIMER_CREATED, seq, FireAt=fire_at)
        seq += 1
    for event, verdict in approvals or []:
        add(EventType.ORCHESTRATOR_COMPLETED)
        add(EventType.ORCHESTRATOR_STARTED)
        add(EventType.EVENT_RAISED, Name="approval", Input=json.dumps(event))
        add(EventType.TASK_SCHEDULED, seq, Name="verify_approval")
        add(EventType.ORCHESTRATOR_COMPLETED)
        add(EventType.ORCHESTRATOR_STARTED)
        add(EventType.TASK_COMPLETED, TaskScheduledId=seq, Result=json.dumps(verdict))
        seq += 1
    if fired:
        add(EventType.ORCHESTRATOR_COMPLETED)
        add(EventType.ORCHESTRATOR_STARTED)
        add(EventType.TIMER_FIRED, TimerId=completed, FireAt=fire_at)
    return history.replay(patch_flow)


def test_status_says_awaiting_approval_only_once_the_request_is_recorded() -> None:
    # request_approval scheduled, not yet returned: the approval API would still answer 409.
    requesting = _replay(completed=6)
    assert requesting["customStatus"]["step"] == "requesting-approval"
    last = requesting["actions"][0][-1]  # one flat list of actions (schema version 2)
    assert last["compoundActions"][0]["functionName"] == "request_approval"

    waiting = _replay(completed=7)
    assert waiting["customStatus"] == {
        "step": "awaiting-approval",
        "risk": "low",
        "scripted_llm": False,
    }
    # ... and the flow now waits for the decision, raced against the deadline.
    wait = waiting["actions"][0][-1]
    assert [a.get("externalEventName") for a in wait["compoundActions"]] == ["approval", None]


def test_a_forged_approval_is_checked_then_the_flow_waits_again_under_the_same_deadline() -> None:
    forged = ({"decision": "approve"}, {"verified": False, "reason": "unknown-decision"})
    state = _replay(completed=7, approvals=[forged])
    assert state["customStatus"]["step"] == "awaiting-approval" and not state["isDone"]
    *_, first_wait, verify, wait = state["actions"][0]
    assert verify["compoundActions"][0]["functionName"] == "verify_approval"
    assert verify["compoundActions"][0]["input"].endswith('"event": {"decision": "approve"}}')
    assert [a.get("externalEventName") for a in first_wait["compoundActions"]] == ["approval", None]
    # Waiting again, raced against the timer already created: no new timer, no later deadline.
    assert [a.get("externalEventName") for a in wait["compoundActions"]] == ["approval"]

    expired = _replay(completed=7, approvals=[forged], fired=True)
    finish = expired["actions"][0][-1]["compoundActions"][0]
    assert finish["functionName"] == "finish_task"
    assert json.loads(finish["input"])["outcome"] == "expired"


def test_a_refused_requester_ends_the_flow_before_anything_is_read() -> None:
    refusal = {"authorised": False, "reason": "no-write-access", "replied": True, "role": "read"}
    ended = _replay(completed=1, results=[("authorise", refusal)])
    assert ended["customStatus"] == {"step": "not-authorised"}
    names = [a["compoundActions"][0]["functionName"] for a in ended["actions"][0]]
    assert names == ["authorise", "finish_task"]  # no start_task, no repository read
    payload = json.loads(ended["actions"][0][-1]["compoundActions"][0]["input"])
    assert (payload["outcome"], payload["detail"]) == ("not-authorised", {"refusal": refusal})


def test_authorisation_is_the_first_step() -> None:
    first = _replay(completed=0)
    assert first["customStatus"] == {"step": "authorising"}
    [action] = first["actions"][0]
    assert action["compoundActions"][0]["functionName"] == "authorise"


def _tool_call(n: int) -> dict[str, Any]:
    return {"id": f"c{n}", "name": "read_file", "arguments": {"path": f"f{n}.py"}}


def test_tool_calls_are_activities_within_the_attempts_step_budget() -> None:
    plan = {**dict(RESULTS)["start_task"], "max_tool_steps": 2, "max_tool_tokens": 1000}
    asked = {
        "answer": "",
        "llm": {"tool_calls": [_tool_call(1), _tool_call(2), _tool_call(3)], "input_tokens": 9},
    }
    results = [
        *RESULTS[:1],
        ("start_task", plan),
        RESULTS[2],
        ("generate_patch", asked),
        ("run_tool", {"ok": True, "output": "out 1"}),
        ("run_tool", {"ok": True, "output": "out 2"}),
    ]
    state = _replay(completed=6, results=results)
    actions = [a["compoundActions"][0] for a in state["actions"][0]]
    assert [a["functionName"] for a in actions][3:] == [
        "generate_patch",
        "run_tool",
        "run_tool",
        "generate_patch",
    ]
    assert [json.loads(a["input"])["step"] for a in actions[4:6]] == [1, 2]
    again = json.loads(actions[-1]["input"])
    assert again["tools"] is True  # only to describe the earlier turns: the budget is spent
    assert [t.get("content") for t in again["history"][1:]] == [
        "out 1",
        "out 2",
        "not run: this attempt's tool budget is spent; answer with the edit",
    ]
    assert [t.get("tool_call_id") for t in again["history"][1:]] == ["c1", "c2", "c3"]

    # The model asks for more anyway: nothing runs, its answer goes to validation.
    more = [*results, ("generate_patch", {"answer": "", "llm": {"tool_calls": [_tool_call(4)]}})]
    after = _replay(completed=7, results=more)
    assert after["actions"][0][-1]["compoundActions"][0]["functionName"] == "validate_patch"


def test_without_a_tool_budget_no_tools_are_offered() -> None:
    state = _replay(completed=3)
    generate = json.loads(state["actions"][0][-1]["compoundActions"][0]["input"])
    assert generate["tools"] is False and generate["history"] == []


def test_a_failed_attempt_feeds_back_its_answer_and_why_it_failed() -> None:
    failed = {"ok": False, "summary": "check-failed", "feedback": "test_x failed: 2 != 4"}
    results = [*RESULTS[:3], ("generate_patch", {"answer": "diff one"}), ("validate_patch", failed)]
    state = _replay(completed=5, results=results)
    retry = state["actions"][0][-1]["compoundActions"][0]
    assert retry["functionName"] == "generate_patch"
    payload = json.loads(retry["input"])
    assert (payload["attempt"], payload["previous_answer"], payload["feedback"]) == (
        2,
        "diff one",
        "test_x failed: 2 != 4",
    )
