"""Status payloads render history as the Durable extension's DurableClient does."""

from datetime import UTC, datetime

from devhost.durable.events import EventType, RuntimeStatus, new_event
from devhost.durable.model import InstanceRecord
from devhost.durable.status_payload import render_history, status_payload

T = "2024-05-01T12:00:00.000000Z"


def history():
    return [
        new_event(EventType.ORCHESTRATOR_STARTED, T),
        new_event(EventType.EXECUTION_STARTED, T, Name="flow", Input='{"a": 1}', Version=""),
        new_event(EventType.TASK_SCHEDULED, T, 0, Name="act", Input="1", Version=""),
        new_event(EventType.ORCHESTRATOR_COMPLETED, T),
        new_event(EventType.ORCHESTRATOR_STARTED, "2024-05-01T12:00:01.000000Z"),
        new_event(EventType.TASK_COMPLETED, "2024-05-01T12:00:01.000000Z", TaskScheduledId=0,
                  Result='{"ok": true}'),
        new_event(EventType.EXECUTION_COMPLETED, "2024-05-01T12:00:01.000000Z",
                  OrchestrationStatus="Completed", Result='"done"'),
        new_event(EventType.ORCHESTRATOR_COMPLETED, "2024-05-01T12:00:01.000000Z"),
    ]  # fmt: skip


def test_scheduled_events_merge_into_their_completion():
    rendered = render_history(history(), show_output=True)
    assert [e["EventType"] for e in rendered] == [
        "ExecutionStarted",
        "TaskCompleted",
        "ExecutionCompleted",
    ]
    started, completed, finished = rendered
    assert started == {"EventType": "ExecutionStarted", "Timestamp": T, "FunctionName": "flow"}
    assert completed["FunctionName"] == "act"
    assert completed["ScheduledTime"] == T
    assert completed["Result"] == {"ok": True}
    assert "TaskScheduledId" not in completed
    assert finished["Result"] == "done"


def test_outputs_are_left_out_unless_asked_for():
    rendered = render_history(history(), show_output=False)
    assert all("Result" not in e for e in rendered)


def test_payload_parses_json_and_keeps_raw_text():
    moment = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    record = InstanceRecord(
        "i", "flow", "e", RuntimeStatus.TERMINATED, '{"a": 1}', "stopped by admin", '"x"',
        None, moment, moment,
    )  # fmt: skip
    payload = status_payload(record)
    assert payload["input"] == {"a": 1}
    assert payload["output"] == "stopped by admin"
    assert payload["customStatus"] == "x"
    assert payload["createdTime"] == "2024-05-01T12:00:00Z"
    assert payload["runtimeStatus"] == "Terminated"
    assert payload["historyEvents"] is None
    assert status_payload(record, show_input=False)["input"] is None
