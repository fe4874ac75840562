"""The review_flow orchestrator under the real Durable SDK, replaying recorded histories: the
steps it schedules, and that nothing past a refusal or a failed step runs."""

from __future__ import annotations

import json
from typing import Any

from orchestrations.review_flow.orchestrator import review_flow
from tests.support.orchestration_history import History

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
    history = History("review_flow", TASK)
    history.activities(results)
    return history.replay(review_flow)


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
