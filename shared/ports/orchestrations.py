"""Starting and steering Durable orchestrations from outside them (HTTP triggers).

The instance id is always the task id. Methods are async: the Durable client talks HTTP to the
host. Host failures (unreachable, unexpected answers) raise ``Unavailable`` (retryable).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import NotFound, Unavailable


class Orchestrations(ABC):
    @abstractmethod
    async def start(self, flow: str, instance_id: str, payload: dict[str, Any]) -> None:
        """Start orchestrator ``flow`` as ``instance_id`` with ``payload`` as its input."""

    @abstractmethod
    async def exists(self, instance_id: str) -> bool:
        """Whether the host knows the instance (in any state)."""

    @abstractmethod
    async def status(self, instance_id: str) -> str | None:
        """The instance's runtime status (``Pending``, ``Running``, ``Completed``, ``Failed``,
        ``Terminated``, ...); ``None`` when the host does not know it."""

    @abstractmethod
    async def terminate(self, instance_id: str, reason: str) -> None:
        """Stop the instance; nothing happens when it is absent or already finished."""

    @abstractmethod
    async def raise_event(self, instance_id: str, name: str, data: dict[str, Any]) -> None:
        """Deliver an external event; ``NotFound`` (code ``instance-not-running``) when the
        instance is absent or finished."""


@dataclass
class FakeOrchestrations(Orchestrations):
    """In-memory stand-in for service unit tests: records what was asked of it."""

    started: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    start_calls: list[str] = field(default_factory=list)
    terminated: list[str] = field(default_factory=list)
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    finished: set[str] = field(default_factory=set)
    unavailable: bool = False

    def _check(self) -> None:
        if self.unavailable:
            raise Unavailable("durable host unavailable (fake)")

    async def start(self, flow: str, instance_id: str, payload: dict[str, Any]) -> None:
        self._check()
        self.start_calls.append(instance_id)
        self.started[instance_id] = (flow, payload)
        self.finished.discard(instance_id)  # starting a finished instance replaces it

    async def exists(self, instance_id: str) -> bool:
        self._check()
        return instance_id in self.started

    async def status(self, instance_id: str) -> str | None:
        self._check()
        if instance_id not in self.started:
            return None
        return "Terminated" if instance_id in self.finished else "Running"

    async def terminate(self, instance_id: str, reason: str) -> None:
        self._check()
        if instance_id in self.started and instance_id not in self.finished:
            self.terminated.append(instance_id)
            self.finished.add(instance_id)

    async def raise_event(self, instance_id: str, name: str, data: dict[str, Any]) -> None:
        self._check()
        if instance_id not in self.started or instance_id in self.finished:
            raise NotFound(f"instance {instance_id!r} is not running", code="instance-not-running")
        self.events.append((instance_id, name, data))
