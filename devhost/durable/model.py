"""What the engine reads from the store and what it asks the store to write.

An orchestration episode is decided from ``EpisodeWork`` (the locked instance, its history and the
visible inbox messages) into an ``EpisodeOutcome``; the store applies an outcome in the same
transaction that claimed the work, so either all of it happens or none of it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devhost.durable.events import Event, RuntimeStatus

# kinds of work, also the letters of wake-up notifications
ORCHESTRATION = "o"
ENTITY = "e"
ACTIVITY = "a"
TIMER_KIND = "t"  # a delayed message was queued: the timer scan must look again


@dataclass(frozen=True)
class InstanceRecord:
    """An orchestration instance as stored (texts are JSON except a terminated reason)."""

    instance_id: str
    name: str
    execution_id: str
    status: RuntimeStatus
    input: str | None
    output: str | None
    custom_status: str | None
    parent: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    version: str = ""


@dataclass(frozen=True)
class Message:
    """One inbox row: an event for an instance (``execution_id`` None: any execution)."""

    id: int
    execution_id: str | None
    event: Event


@dataclass(frozen=True)
class EpisodeWork:
    instance: InstanceRecord
    history: list[Event]
    messages: list[Message]


@dataclass(frozen=True)
class ActivityCall:
    """Run activity ``name`` for task ``task_id`` of an execution."""

    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


@dataclass(frozen=True)
class OutMessage:
    """An inbox message for an orchestration (``kind`` "o") or an entity ("e")."""

    target: str
    kind: str
    event: Event
    execution_id: str | None = None
    visible_at: datetime | None = None
    control: bool = False


@dataclass(frozen=True)
class NewInstance:
    """A sub-orchestration row to create when absent (its start message does the rest)."""

    instance_id: str
    name: str
    execution_id: str
    input: str | None
    parent: dict[str, Any] | None


@dataclass(frozen=True)
class InstanceUpdate:
    """The instance row after an episode.

    ``recreated``: a new execution replaced a finished one (its creation time resets).
    """

    status: RuntimeStatus
    execution_id: str
    input: str | None
    output: str | None
    custom_status: str | None
    name: str
    parent: dict[str, Any] | None
    recreated: bool = False


@dataclass
class EpisodeOutcome:
    """Everything one episode changes; ``consumed`` is never empty."""

    consumed: list[int]
    reset_history: bool = False
    append: list[Event] = field(default_factory=list)
    update: InstanceUpdate | None = None
    activities: list[ActivityCall] = field(default_factory=list)
    messages: list[OutMessage] = field(default_factory=list)
    new_instances: list[NewInstance] = field(default_factory=list)
    drop_messages_of: str | None = None  # an execution that ended: its pending messages go


@dataclass(frozen=True)
class WorkItem:
    """A claimed activity call."""

    id: int
    call: ActivityCall


@dataclass(frozen=True)
class EntityRecord:
    entity_id: str
    name: str
    key: str
    exists: bool
    state: str | None


@dataclass(frozen=True)
class EntityWork:
    entity: EntityRecord
    messages: list[Message]


@dataclass
class EntityOutcome:
    consumed: list[int]
    exists: bool
    state: str | None
    messages: list[OutMessage] = field(default_factory=list)
