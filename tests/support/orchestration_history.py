"""A Durable orchestration history written event by event, and the orchestrator's state after
the real Durable SDK replays it (its registered function, as the host would call it): how unit
tests drive an orchestrator through recorded episodes without a host."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func

from devhost.durable.events import EventType, format_time, new_event


class History:
    """The history of orchestration ``name`` started with ``task``; each event one second after
    the one before (``clock`` is the last event's time)."""

    def __init__(self, name: str, task: dict[str, Any]) -> None:
        self.task = task
        self.clock = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        self.events: list[dict[str, Any]] = []
        self.add(EventType.ORCHESTRATOR_STARTED)
        self.add(EventType.EXECUTION_STARTED, Name=name, Input=json.dumps(task), Version="")

    def add(self, kind: EventType, event_id: int = -1, **fields: Any) -> None:
        self.clock += timedelta(seconds=1)
        self.events.append(new_event(kind, format_time(self.clock), event_id, **fields))

    def activities(self, results: Iterable[tuple[str, Any]]) -> None:
        """Activity ``name`` scheduled and returning ``result``, one episode each, numbered
        from 0 in order."""
        for seq, (name, result) in enumerate(results):
            self.add(EventType.TASK_SCHEDULED, seq, Name=name)
            self.add(EventType.ORCHESTRATOR_COMPLETED)
            self.add(EventType.ORCHESTRATOR_STARTED)
            self.add(EventType.TASK_COMPLETED, TaskScheduledId=seq, Result=json.dumps(result))

    def replay(self, orchestrator: Any) -> dict[str, Any]:
        """The state ``orchestrator`` (its ``bp.orchestration_trigger`` builder) reports after
        the history: its actions, custom status and, once done, its output."""
        payload = {
            "history": [{**e, "IsPlayed": False} for e in self.events],
            "input": json.dumps(self.task),
            "instanceId": self.task["id"],
            "isReplaying": False,
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
        }
        handle = orchestrator.build().get_user_function()
        state: dict[str, Any] = json.loads(handle(func.OrchestrationContext(json.dumps(payload))))
        return state
