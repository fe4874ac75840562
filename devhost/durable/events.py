"""History events and runtime statuses in the JSON shapes of the Durable Task Framework.

Events are plain dicts with ``EventType`` (an ``EventType`` value), ``EventId``, ``Timestamp``
(UTC, ``...Z``) and the fields of their type, exactly as the out-of-proc SDK reads them. Times are
kept as the text first written: replays must see the same timestamps every time, because
``current_utc_datetime`` and ``new_uuid()`` derive from them.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class EventType(enum.IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


# The names DTFx gives these types (``EventType.ToString()``), used in status payloads.
EVENT_NAMES = {
    EventType.SUB_ORCHESTRATION_CREATED: "SubOrchestrationInstanceCreated",
    EventType.SUB_ORCHESTRATION_COMPLETED: "SubOrchestrationInstanceCompleted",
    EventType.SUB_ORCHESTRATION_FAILED: "SubOrchestrationInstanceFailed",
    EventType.GENERIC: "GenericEvent",
}


def event_name(kind: int) -> str:
    member = EventType(kind)
    default = "".join(part.title() for part in member.name.split("_"))
    return EVENT_NAMES.get(member, default)


class RuntimeStatus(enum.StrEnum):
    RUNNING = "Running"
    COMPLETED = "Completed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TERMINATED = "Terminated"
    PENDING = "Pending"
    SUSPENDED = "Suspended"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {
        RuntimeStatus.COMPLETED,
        RuntimeStatus.FAILED,
        RuntimeStatus.CANCELED,
        RuntimeStatus.TERMINATED,
    }
)

# Messages that change an instance's lifecycle rather than feed its code.
CONTROL_EVENTS = frozenset(
    {EventType.EXECUTION_TERMINATED, EventType.EXECUTION_SUSPENDED, EventType.EXECUTION_RESUMED}
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Parse ``...Z`` times, also .NET's 7-digit fractions and short (pre-1000) years."""
    value = text.strip().replace("Z", "+00:00")
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    year = value.split("-", 1)[0]
    if year.isdigit() and len(year) < 4:
        value = year.zfill(4) + value[len(year) :]
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_event(kind: EventType, timestamp: str, event_id: int = -1, **fields: Any) -> Event:
    return {"EventType": int(kind), "EventId": event_id, "Timestamp": timestamp, **fields}
