"""The host-side replay against the SDK: histories in the SDK tests' notation, real ``handle``.

Each test builds a history the way the SDK's ``ContextBuilder`` does, lets the unmodified SDK
orchestrator produce its actions from it, and checks what the host replay decides next.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from devhost.durable.events import EventType, format_time, new_event
from devhost.durable.orchestrator_state import OrchestratorOutput, parse_raised, parse_returned
from devhost.durable.replay import ReplayContext, ShimReplay

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class History:
    """A history under construction (one second between events, as ContextBuilder)."""

    def __init__(self, name: str = "orchestrator") -> None:
        self.events: list[dict[str, Any]] = []
        self.clock = START
        self.add(EventType.ORCHESTRATOR_STARTED)
        self.add(EventType.EXECUTION_STARTED, Name=name, Input=None, Version="")

    def add(self, kind: EventType, event_id: int = -1, **fields: Any) -> History:
        self.clock += timedelta(seconds=1)
        self.events.append(new_event(kind, format_time(self.clock), event_id, **fields))
        return self

    def episode(self) -> History:
        return self.add(EventType.ORCHESTRATOR_COMPLETED).add(EventType.ORCHESTRATOR_STARTED)

    def scheduled(self, seq: int, name: str) -> History:
        return self.add(EventType.TASK_SCHEDULED, seq, Name=name)

    def completed(self, seq: int, result: Any) -> History:
        return self.add(EventType.TASK_COMPLETED, TaskScheduledId=seq, Result=json.dumps(result))

    def failed(self, seq: int) -> History:
        return self.add(EventType.TASK_FAILED, TaskScheduledId=seq, Reason="boom", Details="")

    def timer(self, seq: int) -> History:
        return self.add(EventType.TIMER_CREATED, seq, FireAt=format_time(self.clock))

    def fired(self, seq: int) -> History:
        return self.add(EventType.TIMER_FIRED, TimerId=seq, FireAt=format_time(self.clock))


def sdk_output(orchestrator: Any, history: History) -> OrchestratorOutput:
    """Run the unmodified SDK over ``history``; its state, read as the engine reads it."""
    handle = df.Orchestrator.create(orchestrator)
    payload = {
        "history": [{**e, "IsPlayed": False} for e in history.events],
        "input": None,
        "instanceId": "instance",
        "isReplaying": False,
        "parentInstanceId": None,
        "upperSchemaVersion": 1,
        "upperSchemaVersionNew": 2,
    }
    try:
        return parse_returned(handle(func.OrchestrationContext(json.dumps(payload))))
    except Exception as exc:
        return parse_raised(exc)


KNOWN = {"activity": {"A", "B", "C", "Hello"}, "orchestrator": set(), "entity": {"counter"}}


def check(kind: str, name: str) -> str | None:
    return None if name in KNOWN[kind] else f"The function '{name}' doesn't exist"


def replay(orchestrator: Any, history: History):
    ctx = ReplayContext("instance", "exec-1", check)
    output = sdk_output(orchestrator, history)
    return ShimReplay(ctx, output.actions, failed=output.error is not None).run(history.events)


def new_events(result) -> list[tuple[str, int, str | None]]:
    return [
        (EventType(d.event["EventType"]).name, d.id, d.event.get("Name")) for d in result.decisions
    ]


def with_retry(context):
    options = df.RetryOptions(5000, 3)
    result = yield context.call_activity_with_retry("Hello", options, "Tokyo")
    return result


def test_a_retry_timer_follows_every_failure():
    history = History().scheduled(0, "Hello").episode().failed(0).timer(1).episode().fired(1)
    history.scheduled(2, "Hello").episode().failed(2)
    result = replay(with_retry, history)
    assert new_events(result) == [("TIMER_CREATED", 3, None)]
    assert not result.finished


def test_the_timer_after_the_last_attempt_precedes_the_failure():
    history = History().scheduled(0, "Hello").episode().failed(0).timer(1).episode().fired(1)
    history.scheduled(2, "Hello").episode().failed(2).timer(3).episode().fired(3)
    history.scheduled(4, "Hello").episode().failed(4)
    assert new_events(replay(with_retry, history)) == [("TIMER_CREATED", 5, None)]
    history.timer(5).episode().fired(5)
    result = replay(with_retry, history)
    assert (new_events(result), result.finished) == ([], True)


def test_retry_delay_starts_from_the_failure_episode_time():
    history = History().scheduled(0, "Hello").episode().failed(0)
    failure_episode = history.events[-2]["Timestamp"]
    (decision,) = replay(with_retry, history).decisions
    fire_at = datetime.fromisoformat(decision.event["FireAt"].replace("Z", "+00:00"))
    started = datetime.fromisoformat(failure_episode.replace("Z", "+00:00"))
    assert fire_at - started == timedelta(seconds=5)


def race_then_call(context):
    timer = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    event = context.wait_for_external_event("Approval")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
    result = yield context.call_activity("A", "after")
    return result


def test_a_cancelled_timer_keeps_its_sequence_id():
    history = History().timer(0).episode().add(EventType.EVENT_RAISED, Name="Approval", Input="1")
    assert new_events(replay(race_then_call, history)) == [("TASK_SCHEDULED", 1, "A")]


def all_then_recover(context):
    try:
        yield context.task_all([context.call_activity("A"), context.call_activity("B")])
    except Exception:
        result = yield context.call_activity("C")
        return result
    return "no failure"


def test_when_all_waits_for_every_child_before_the_next_action():
    history = History().scheduled(0, "A").scheduled(1, "B").episode().failed(0)
    assert new_events(replay(all_then_recover, history)) == []
    history.episode().completed(1, "b")
    assert new_events(replay(all_then_recover, history)) == [("TASK_SCHEDULED", 2, "C")]


def waits_after_a_call(context):
    yield context.call_activity("A")
    data = yield context.wait_for_external_event("Go")
    result = yield context.call_activity("B", data)
    return result


def test_an_event_raised_before_the_wait_is_buffered():
    history = History().scheduled(0, "A").episode()
    history.add(EventType.EVENT_RAISED, Name="Go", Input='"x"').episode().completed(0, "a")
    assert new_events(replay(waits_after_a_call, history)) == [("TASK_SCHEDULED", 1, "B")]


def calls_entity(context):
    counter = df.EntityId("Counter", "k")
    context.signal_entity(counter, "add", 1)
    value = yield context.call_entity(counter, "get")
    return value


def test_entity_calls_and_signals_take_sequence_ids_and_wait_for_the_recorded_request():
    first = replay(calls_entity, History())
    assert new_events(first) == [("EVENT_SENT", 0, "op"), ("EVENT_SENT", 1, "op")]
    call = json.loads(first.decisions[1].event["Input"])
    assert (call["op"], call["signal"], call["parent"]) == ("get", False, "instance")
    history = History()
    for decision in first.decisions:
        history.events.append(decision.event)
    recorded = {**call, "id": "recorded-request-id"}
    history.events[-1] = {**history.events[-1], "Input": json.dumps(recorded)}
    history.episode().add(
        EventType.EVENT_RAISED, Name="recorded-request-id", Input=json.dumps({"result": "7"})
    )
    result = replay(calls_entity, history)
    assert (new_events(result), result.finished) == ([], True)


def sequence(context):
    yield context.call_activity("A")
    yield context.call_activity("B")
    return "done"


def test_a_different_activity_at_a_recorded_step_is_non_determinism():
    history = History().scheduled(0, "A").episode().completed(0, 1).scheduled(1, "C").episode()
    result = replay(sequence, history)
    assert result.nondeterminism is not None
    assert "sequence id 1" in result.nondeterminism
    assert "records activity 'C'" in result.nondeterminism
    assert "scheduled activity 'B'" in result.nondeterminism


def test_a_recorded_step_the_code_no_longer_takes_is_non_determinism():
    history = History().scheduled(0, "A").episode().completed(0, 1).scheduled(1, "B")
    history.scheduled(2, "C").episode()
    result = replay(sequence, history)
    assert "sequence id 2" in (result.nondeterminism or "")
    assert "did not schedule it" in (result.nondeterminism or "")


def test_a_timer_where_the_history_has_an_activity_is_non_determinism():
    history = History().timer(0).episode()
    result = replay(sequence, history)
    assert "records a timer, but the replay scheduled activity 'A'" in (result.nondeterminism or "")


def test_an_orchestrator_that_failed_before_its_recorded_steps_is_no_non_determinism():
    """``handle`` itself raised (here the SDK's warning about an event nobody waits for, made an
    error): no actions come back, and the recorded steps are not the replay's fault."""
    history = History().scheduled(0, "A").episode().completed(0, "a").scheduled(1, "B").episode()
    history.add(EventType.EVENT_RAISED, Name="approval", Input='"late"')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output = sdk_output(sequence, history)
    assert (output.actions, output.error) == (
        [],
        "UserWarning: Potential duplicate Task completion for TaskId: approval",
    )
    ctx = ReplayContext("instance", "exec-1", check)
    result = ShimReplay(ctx, output.actions, failed=True).run(history.events)
    assert (result.nondeterminism, result.decisions, result.finished) == (None, [], True)


def fails_after_a(context):
    yield context.call_activity("A")
    raise ValueError("after A")


def test_a_failed_orchestrator_whose_step_differs_from_the_history_is_non_determinism():
    history = History().scheduled(0, "C").episode().completed(0, "c")
    result = replay(fails_after_a, history)
    assert "records activity 'C', but the replay scheduled activity 'A'" in (
        result.nondeterminism or ""
    )


def unknown_call(context):
    yield context.call_activity("Missing")


def test_calling_an_unknown_activity_is_an_error_naming_it():
    result = replay(unknown_call, History())
    assert result.error == "The function 'Missing' doesn't exist"


def durable_http(context):
    yield context.call_http("GET", "https://example.invalid")


def test_durable_http_is_refused_clearly():
    assert "call_http" in (replay(durable_http, History()).error or "")
