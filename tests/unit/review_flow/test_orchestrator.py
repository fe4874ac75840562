"""The review_flow orchestrator under the real Durable SDK, replaying recorded histories: the
steps it schedules, and that nothing past a refusal or a failed step runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func

from devhost.durable.events import EventType, format_time, new_event
from orchestrations.review_flow.orchestrator import review_flow

TASK = {"id": "t-1", "tenant": "acme"}
RESULTS: list[tuple[str, Any]] = [
    ("authorise", {"authorised": True, "role": "write"}),
    ("start_task", {"scripted_llm": True, "context_budget_tokens": 1000}),
    ("gather_review", {"diff": "d", "commentable": {}}),
    ("generate_review", {"answer": "{}", "llm": {}}),
    ("publish_review", {"url": "u", "created": 1, "updated": 0, "removed": 0}),
    ("finish_task", {"status": "completed"}),
]


def _replay(results: list[tuple[str, Any]]) -> dict[str, Any]:
    clock = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    events: list[dict[str, Any]] = []

    def add(kind: EventType, event_id: int = -1, **fields: Any) -> None:
        nonlocal clock
        clock += timedelta(seconds=1)
        events.append(new_event(kind, format_time(clock), event_id, **fields))

    add(EventType.ORCHESTRATOR_STARTED)
    add(EventType.EXECUTION_STARTED, Name="review_flow", Input=json.dumps(TASK), Version="")
    for seq, (name, result) in enumerate(results):
        add(EventType.TASK_SCHEDULED, seq, Name=name)
        add(EventType.ORCHESTRATOR_COMPLETED)
        add(EventType.ORCHESTRATOR_STARTED)
        add(EventType.TASK_COMPLETED, TaskScheduledId=seq, Result=json.dumps(result))
    payload = {
        "history": [{**e, "IsPlayed": False} for e in events],
        "input": json.dumps(TASK),
        "instanceId": TASK["id"],
        "isReplaying": False,
        "parentInstanceId": None,
        "upperSchemaVersion": 1,
        "upperSchemaVersionNew": 2,
    }
    handle = review_flow.build().get_user_function()
    return json.loads(handle(func.OrchestrationContext(json.dumps(payload))))


def _names(state: dict[str, Any]) -> list[str]:
    return [a["compoundActions"][0]["functionName"] for a in state["actions"][0]]


def test_a_review_runs_authorise_start_gather_generate_publish_finish_and_nothing_else() -> None:
    done = _replay(RESULTS)
    assert _names(done) == [name for name, _ in RESULTS]
    assert done["isDone"] is True
    output = done["output"]
    assert output["outcome"] == "completed" and output["review"]["created"] == 1
    publish = json.loads(done["actions"][0][4]["compoundActions"][0]["input"])
    assert set(publish) == {"task", "gathered", "proposal"}  # what was read and answered
    finish = json.loads(done["actions"][0][5]["compoundActions"][0]["input"])
    assert finish["flow"] == "review_flow"  # its span and metrics name the review flow


def test_a_refused_requester_ends_the_review_before_anything_is_read() -> None:
    refusal = {"authorised": False, "reason": "no-write-access", "replied": True}
    ended = _replay([("authorise", refusal)])
    assert _names(ended) == ["authorise", "finish_task"]
    payload = json.loads(ended["actions"][0][-1]["compoundActions"][0]["input"])
    assert (payload["outcome"], payload["detail"]) == ("not-authorised", {"refusal": refusal})


def test_a_permanent_failure_ends_the_review_as_failed_without_publishing() -> None:
    failed = {"failed": {"code": "review-unparsable", "message": "not JSON"}}
    ended = _replay([*RESULTS[:3], ("generate_review", failed)])
    assert _names(ended) == [*[n for n, _ in RESULTS[:4]], "finish_task"]
    payload = json.loads(ended["actions"][0][-1]["compoundActions"][0]["input"])
    assert payload["outcome"] == "failed"
    assert payload["detail"]["failure"]["step"] == "generate_review"
