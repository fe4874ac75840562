"""Deciding episodes from in-memory work: lifecycle rules around the orchestrator's replay."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devhost.durable.engine import EpisodeEngine
from devhost.durable.events import EventType, RuntimeStatus, format_time, new_event
from devhost.durable.model import EpisodeWork, InstanceRecord, Message
from devhost.loader import load_app

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> EpisodeEngine:
    return EpisodeEngine(load_app(APPS / "durable_app"))


def record(status: RuntimeStatus, name: str = "waiter", execution: str = "e1") -> InstanceRecord:
    return InstanceRecord("i1", name, execution, status, None, None, None, None, NOW, NOW)


def start(message_id: int, name: str = "waiter", execution: str = "e1", parent=None) -> Message:
    event = new_event(
        EventType.EXECUTION_STARTED,
        format_time(NOW),
        Name=name,
        Input=None,
        Version="",
        OrchestrationInstance={"InstanceId": "i1", "ExecutionId": execution},
        ParentInstance=parent,
    )
    return Message(message_id, execution, event)


def raised(message_id: int, name: str, data: str = '"x"') -> Message:
    return Message(
        message_id, None, new_event(EventType.EVENT_RAISED, format_time(NOW), Name=name, Input=data)
    )


def control(message_id: int, kind: EventType) -> Message:
    return Message(message_id, None, new_event(kind, format_time(NOW), Reason="r", Input="why"))


def kinds(events) -> list[str]:
    return [EventType(e["EventType"]).name for e in events]


def test_a_start_runs_the_orchestrator_and_schedules_its_first_step(engine):
    work = EpisodeWork(
        record(RuntimeStatus.PENDING, "hello_sequence"), [], [start(1, "hello_sequence")]
    )
    outcome = engine.decide(work, NOW)
    assert outcome.consumed == [1]
    assert outcome.reset_history
    assert kinds(outcome.append) == [
        "ORCHESTRATOR_STARTED",
        "EXECUTION_STARTED",
        "TASK_SCHEDULED",
        "ORCHESTRATOR_COMPLETED",
    ]
    assert [(a.task_id, a.name, a.input) for a in outcome.activities] == [
        (0, "say_hello", '"Tokyo"')
    ]
    assert outcome.update.status is RuntimeStatus.RUNNING
    assert outcome.update.custom_status == '"greeting Tokyo"'


def test_messages_for_another_execution_are_dropped_without_an_episode(engine):
    old = Message(5, "e0", new_event(EventType.TASK_COMPLETED, format_time(NOW), TaskScheduledId=0))
    work = EpisodeWork(record(RuntimeStatus.RUNNING), [], [old])
    outcome = engine.decide(work, NOW)
    assert (outcome.consumed, outcome.append, outcome.update) == ([5], [], None)


def test_late_messages_to_a_finished_instance_are_discarded(engine):
    work = EpisodeWork(record(RuntimeStatus.COMPLETED), [], [raised(7, "go")])
    outcome = engine.decide(work, NOW)
    assert (outcome.consumed, outcome.append, outcome.update) == ([7], [], None)


def test_a_running_instance_refuses_a_second_start_and_tells_the_parent(engine):
    parent = {"InstanceId": "p1", "ExecutionId": "pe", "TaskScheduledId": 3, "Name": "waiter"}
    work = EpisodeWork(record(RuntimeStatus.RUNNING), [], [start(9, execution="e2", parent=parent)])
    outcome = engine.decide(work, NOW)
    assert outcome.consumed == [9]
    assert outcome.update is None
    (notice,) = outcome.messages
    assert (notice.target, notice.execution_id) == ("p1", "pe")
    assert notice.event["EventType"] == EventType.SUB_ORCHESTRATION_FAILED
    assert notice.event["TaskScheduledId"] == 3
    assert "already exists" in notice.event["Reason"]


def test_terminate_before_the_first_episode(engine):
    work = EpisodeWork(
        record(RuntimeStatus.PENDING), [], [start(1), control(2, EventType.EXECUTION_TERMINATED)]
    )
    outcome = engine.decide(work, NOW)
    assert outcome.consumed == [1, 2]
    assert kinds(outcome.append) == [
        "ORCHESTRATOR_STARTED",
        "EXECUTION_STARTED",
        "EXECUTION_TERMINATED",
        "EXECUTION_COMPLETED",
        "ORCHESTRATOR_COMPLETED",
    ]
    assert (outcome.update.status, outcome.update.output) == (RuntimeStatus.TERMINATED, "why")


def test_a_suspended_instance_only_takes_its_control_messages(engine):
    first = engine.decide(EpisodeWork(record(RuntimeStatus.PENDING), [], [start(1)]), NOW)
    work = EpisodeWork(
        record(RuntimeStatus.SUSPENDED),
        first.append,
        [raised(2, "go"), control(3, EventType.EXECUTION_RESUMED)],
    )
    outcome = engine.decide(work, NOW)
    assert outcome.consumed == [3]
    assert kinds(outcome.append) == [
        "ORCHESTRATOR_STARTED",
        "EXECUTION_RESUMED",
        "ORCHESTRATOR_COMPLETED",
    ]
    assert outcome.update.status is RuntimeStatus.RUNNING


def test_episode_time_never_goes_back(engine):
    first = engine.decide(EpisodeWork(record(RuntimeStatus.PENDING), [], [start(1)]), NOW)
    earlier = NOW - timedelta(minutes=5)
    outcome = engine.decide(
        EpisodeWork(record(RuntimeStatus.RUNNING), first.append, [raised(2, "go")]), earlier
    )
    assert outcome.append[0]["Timestamp"] > first.append[0]["Timestamp"]


def test_an_unknown_orchestrator_fails_the_instance(engine):
    work = EpisodeWork(record(RuntimeStatus.PENDING, "ghost"), [], [start(1, "ghost")])
    outcome = engine.decide(work, NOW)
    assert outcome.update.status is RuntimeStatus.FAILED
    assert "The function 'ghost' doesn't exist" in outcome.update.output
    assert "'hello_sequence'" in outcome.update.output


def test_an_orchestrator_that_raises_fails_the_instance_with_its_own_error(engine):
    """What the flaky e2e run met: pytest's ``filterwarnings = error`` turned the SDK's warning
    about an event nobody waits for into an exception out of ``handle`` (no actions at all); the
    instance fails with that error, as the Durable extension says it, not as non-determinism."""
    first = engine.decide(
        EpisodeWork(
            record(RuntimeStatus.PENDING, "hello_sequence"), [], [start(1, "hello_sequence")]
        ),
        NOW,
    )
    work = EpisodeWork(
        record(RuntimeStatus.RUNNING, "hello_sequence"), first.append, [raised(2, "late")]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcome = engine.decide(work, NOW)
    assert outcome.update.status is RuntimeStatus.FAILED
    assert outcome.update.output == (
        "Orchestrator function 'hello_sequence' failed: "
        "UserWarning: Potential duplicate Task completion for TaskId: late"
    )
    assert kinds(outcome.append)[-2:] == ["EXECUTION_COMPLETED", "ORCHESTRATOR_COMPLETED"]
