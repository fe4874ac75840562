"""Golden replays: outputs and histories as the real host produces them.

Each scenario runs on devhost through the unmodified SDK; the stored history is compared with
the history the Durable Task Framework writes for it (episode boundaries, sequence ids, a timer
after every failed retry attempt, EventSent for entity calls...), in the notation of the SDK's
own test histories (``tests/test_utils/ContextBuilder.py``). Then the recorded history is fed
back to the SDK's orchestrator ``handle`` to check it replays to the same output.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions import DurableOrchestrationClient, OrchestrationRuntimeStatus

from devhost.durable.events import EventType
from devhost.loader import FunctionKind
from devhost.testing import RunningDevhost
from tests.integration.devhost.durable_helpers import wait_finished, wait_status

OS, OC = "OrchestratorStarted", "OrchestratorCompleted"
Status = OrchestrationRuntimeStatus


@pytest.fixture
def client(durable_host: RunningDevhost) -> DurableOrchestrationClient:
    return DurableOrchestrationClient(durable_host.client_binding())


def notation(event: dict[str, Any]) -> str:
    """One event as ``Type#id:name`` (only the fields that identify it)."""
    kind = EventType(event["EventType"])
    name = {
        EventType.EXECUTION_STARTED: "ExecutionStarted:{Name}",
        EventType.EXECUTION_COMPLETED: "ExecutionCompleted:{OrchestrationStatus}",
        EventType.TASK_SCHEDULED: "TaskScheduled#{EventId}:{Name}",
        EventType.TASK_COMPLETED: "TaskCompleted#{TaskScheduledId}",
        EventType.TASK_FAILED: "TaskFailed#{TaskScheduledId}",
        EventType.TIMER_CREATED: "TimerCreated#{EventId}",
        EventType.TIMER_FIRED: "TimerFired#{TimerId}",
        EventType.SUB_ORCHESTRATION_CREATED: "SubOrchestrationCreated#{EventId}:{Name}",
        EventType.SUB_ORCHESTRATION_COMPLETED: "SubOrchestrationCompleted#{TaskScheduledId}",
        EventType.SUB_ORCHESTRATION_FAILED: "SubOrchestrationFailed#{TaskScheduledId}",
        EventType.EVENT_SENT: "EventSent#{EventId}:{InstanceId}",
        EventType.EVENT_RAISED: "EventRaised:{Name}",
        EventType.ORCHESTRATOR_STARTED: OS,
        EventType.ORCHESTRATOR_COMPLETED: OC,
        EventType.EXECUTION_TERMINATED: "ExecutionTerminated",
        EventType.EXECUTION_SUSPENDED: "ExecutionSuspended",
        EventType.EXECUTION_RESUMED: "ExecutionResumed",
    }[kind]
    return name.format(**event)


def history(host: RunningDevhost, instance_id: str) -> list[str]:
    return [notation(e) for e in host.history(instance_id)]


def replayed_output(host: RunningDevhost, name: str, instance_id: str, input_: Any) -> Any:
    """Feed the recorded history to the SDK's ``handle``; return its output (it must be done)."""
    events = host.history(instance_id)
    payload = {
        "history": [{**e, "IsPlayed": True} for e in events],
        "input": json.dumps(input_),
        "instanceId": instance_id,
        "isReplaying": True,
        "parentInstanceId": None,
        "upperSchemaVersion": 1,
        "upperSchemaVersionNew": 2,
    }
    assert host.host.app is not None
    orchestrator = host.host.app.durable(FunctionKind.ORCHESTRATOR, name)
    assert orchestrator is not None
    state = json.loads(orchestrator.user_function(func.OrchestrationContext(json.dumps(payload))))
    assert state["isDone"] is True
    return state.get("output")


def run(host, client, name: str, input_: Any = None) -> tuple[str, Any]:
    instance_id = host.run(client.start_new(name, None, input_))
    status = wait_finished(host, client, instance_id)
    return instance_id, status


def test_sequence(durable_host, client):
    instance_id, status = run(durable_host, client, "hello_sequence")
    assert status.output == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:hello_sequence", "TaskScheduled#0:say_hello", OC,
        OS, "TaskCompleted#0", "TaskScheduled#1:say_hello", OC,
        OS, "TaskCompleted#1", "TaskScheduled#2:say_hello", OC,
        OS, "TaskCompleted#2", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert replayed_output(durable_host, "hello_sequence", instance_id, None) == status.output


def test_fan_out_fan_in(durable_host, client):
    instance_id, status = run(durable_host, client, "fan_out_fan_in", 5)
    assert status.output == 20
    events = history(durable_host, instance_id)
    scheduled = [f"TaskScheduled#{i}:double" for i in range(5)]
    assert events[:8] == [OS, "ExecutionStarted:fan_out_fan_in", *scheduled, OC]
    completions = [e for e in events[8:] if e.startswith("TaskCompleted")]
    assert sorted(completions) == [f"TaskCompleted#{i}" for i in range(5)]
    assert events[-2:] == ["ExecutionCompleted:Completed", OC]
    assert replayed_output(durable_host, "fan_out_fan_in", instance_id, 5) == 20


def test_event_wins_the_race_against_the_timer(durable_host, client):
    instance_id = durable_host.run(client.start_new("approval", None, 3600))
    wait_status(durable_host, client, instance_id, Status.Running)
    durable_host.run(client.raise_event(instance_id, "Approval", "yes"))
    status = wait_finished(durable_host, client, instance_id)
    assert status.output == "approved: yes"
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:approval", "TimerCreated#0", OC,
        OS, "EventRaised:Approval", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert replayed_output(durable_host, "approval", instance_id, 3600) == "approved: yes"


def test_timer_wins_the_race_against_the_event(durable_host, client):
    instance_id, status = run(durable_host, client, "approval", 0)
    assert status.output == "timed out"
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:approval", "TimerCreated#0", OC,
        OS, "TimerFired#0", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert replayed_output(durable_host, "approval", instance_id, 0) == "timed out"


def test_retry_succeeds_after_failures(durable_host, client):
    request = {"key": secrets.token_hex(4), "failures": 2}
    instance_id, status = run(durable_host, client, "retry_orchestrator", request)
    assert status.output == "ok after 2 failures"
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:retry_orchestrator", "TaskScheduled#0:flaky", OC,
        OS, "TaskFailed#0", "TimerCreated#1", OC,
        OS, "TimerFired#1", "TaskScheduled#2:flaky", OC,
        OS, "TaskFailed#2", "TimerCreated#3", OC,
        OS, "TimerFired#3", "TaskScheduled#4:flaky", OC,
        OS, "TaskCompleted#4", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert (
        replayed_output(durable_host, "retry_orchestrator", instance_id, request) == status.output
    )


def test_retry_exhausts_with_a_timer_after_the_last_failure(durable_host, client):
    key = secrets.token_hex(4)
    request = {"key": key, "failures": 5}
    instance_id, status = run(durable_host, client, "retry_orchestrator", request)
    assert status.output == (
        f"gave up: Activity function 'flaky' failed: ValueError: flaky failure 3 for {key} "
    )
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:retry_orchestrator", "TaskScheduled#0:flaky", OC,
        OS, "TaskFailed#0", "TimerCreated#1", OC,
        OS, "TimerFired#1", "TaskScheduled#2:flaky", OC,
        OS, "TaskFailed#2", "TimerCreated#3", OC,
        OS, "TimerFired#3", "TaskScheduled#4:flaky", OC,
        OS, "TaskFailed#4", "TimerCreated#5", OC,
        OS, "TimerFired#5", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert (
        replayed_output(durable_host, "retry_orchestrator", instance_id, request) == status.output
    )


def test_sub_orchestrations_succeed_and_fail(durable_host, client):
    instance_id, status = run(durable_host, client, "sub_parent")
    first = status.output["first"]
    assert first["doubled"] == 42
    assert first["child"].endswith(":0")  # DTFx names an unnamed child <execution id>:<seq id>
    assert status.output["failure"] == (
        "Orchestrator function 'sub_child_fails' failed: Activity function 'explode' failed: "
        "RuntimeError: explode(boom) "
    )
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:sub_parent", "SubOrchestrationCreated#0:sub_child", OC,
        OS, "SubOrchestrationCompleted#0", "SubOrchestrationCreated#1:sub_child_fails", OC,
        OS, "SubOrchestrationFailed#1", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert history(durable_host, first["child"]) == [
        OS, "ExecutionStarted:sub_child", "TaskScheduled#0:double", OC,
        OS, "TaskCompleted#0", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    failed_child = durable_host.run(client.get_status(f"child-fails-{instance_id}"))
    assert failed_child.runtime_status == Status.Failed
    assert replayed_output(durable_host, "sub_parent", instance_id, None) == status.output


def test_continue_as_new_keeps_only_the_last_execution(durable_host, client):
    instance_id, status = run(durable_host, client, "counter_loop", {"n": 0, "until": 3})
    assert status.output == {"final": 3, "instance": instance_id}
    assert status.input_ == {"n": 3, "until": 3, "last": 4}
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:counter_loop", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip


def test_terminate_ends_a_waiting_instance(durable_host, client):
    instance_id = durable_host.run(client.start_new("waiter"))
    wait_status(durable_host, client, instance_id, Status.Running)
    durable_host.run(client.terminate(instance_id, "stop"))
    status = wait_finished(durable_host, client, instance_id)
    assert (status.runtime_status, status.output) == (Status.Terminated, "stop")
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:waiter", OC,
        OS, "ExecutionTerminated", "ExecutionCompleted:Terminated", OC,
    ]  # fmt: skip


def test_suspend_and_resume(durable_host, client):
    instance_id = durable_host.run(client.start_new("waiter"))
    durable_host.run(client.suspend(instance_id, "pause"))
    wait_status(durable_host, client, instance_id, Status.Suspended)
    durable_host.run(client.raise_event(instance_id, "go", "Oslo"))
    durable_host.run(client.resume(instance_id, "go on"))
    status = wait_finished(durable_host, client, instance_id)
    assert status.output == "Hello Oslo!"
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:waiter", OC,
        OS, "ExecutionSuspended", OC,
        OS, "ExecutionResumed", OC,
        OS, "EventRaised:go", "TaskScheduled#0:say_hello", OC,
        OS, "TaskCompleted#0", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip


def test_entities_signal_and_call(durable_host, client):
    key = f"golden-{secrets.token_hex(3)}"
    instance_id, status = run(durable_host, client, "entity_orchestrator", key)
    assert status.output == {"after_add": 8, "current": 8}
    events = durable_host.history(instance_id)
    target = f"@counter@{key}"
    requests = [json.loads(e["Input"]) for e in events if e["EventType"] == EventType.EVENT_SENT]
    assert [(r["op"], r["signal"]) for r in requests] == [
        ("add", True),
        ("add", False),
        ("get", False),
    ]
    assert history(durable_host, instance_id) == [
        OS, "ExecutionStarted:entity_orchestrator",
        f"EventSent#0:{target}", f"EventSent#1:{target}", OC,
        OS, f"EventRaised:{requests[1]['id']}", f"EventSent#2:{target}", OC,
        OS, f"EventRaised:{requests[2]['id']}", "ExecutionCompleted:Completed", OC,
    ]  # fmt: skip
    assert replayed_output(durable_host, "entity_orchestrator", instance_id, key) == status.output


def test_an_entity_operation_error_reaches_the_calling_orchestrator(durable_host, client):
    key = f"failing-{secrets.token_hex(3)}"
    _, status = run(durable_host, client, "entity_failure", key)
    assert (status.runtime_status, status.output) == (
        Status.Completed,
        "entity said: counter refuses",
    )


def test_non_deterministic_orchestrator_fails_with_a_clear_message(durable_host, client):
    _, status = run(durable_host, client, "nondeterministic")
    assert status.runtime_status == Status.Failed
    assert status.output.startswith(
        "Non-deterministic orchestrator: at the step with sequence id 1"
    )
    assert "history records activity 'say_hello'" in status.output
    assert "the replay scheduled activity 'double'" in status.output


def test_unknown_activity_fails_the_instance_naming_it(durable_host, client):
    _, status = run(durable_host, client, "calls_unknown")
    assert status.runtime_status == Status.Failed
    assert "The function 'no_such_activity' doesn't exist" in status.output
    assert "'say_hello'" in status.output
