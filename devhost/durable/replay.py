"""The host side of an orchestration replay: actions in, history decisions out.

This reproduces what the Durable extension's out-of-proc shim (``ProcessAsyncActionsV2``) and the
Durable Task Framework do with the orchestrator's flat action list: walk the actions in order,
awaiting each one before invoking the next (a compound WhenAll/WhenAny invokes its children
together), while the history is replayed event by event. Every scheduling call takes the next
sequence id: activities, timers (cancelled ones too), sub-orchestrations, entity calls and
signals; external events do not. A retried call adds a timer after every failed attempt.

Scheduling calls made during the replay are matched against the history's TaskScheduled,
TimerCreated, SubOrchestrationInstanceCreated and EventSent events by sequence id; a mismatch is
non-determinism and fails the instance with a message naming the step (``determinism``). Calls
left unmatched at the end are this episode's new decisions, returned in sequence order.

A ``failed`` orchestrator (its state carries an ``error``) returns only the actions it took
before it failed, none when ``handle`` itself raised: a recorded step after the last of them stops
the replay, and its own error fails the instance, as the Durable extension reports it (a step
that differs from the history is still non-determinism).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devhost.durable import decisions
from devhost.durable.determinism import SCHEDULED_EVENTS, NonDeterminismError, check_same_step
from devhost.durable.events import Event, EventType, format_time, parse_time
from devhost.durable.host_tasks import HostTask, completed_task, when_all, when_any, with_retry

# (kind, name) -> error message when no such function exists, else None
FunctionCheck = Callable[[str, str], str | None]


class ActionError(Exception):
    """An action the host refuses (unknown function, unsupported API): the instance fails."""


class _StoppedByFailure(Exception):
    """A failed orchestrator's actions ended before the history does: its error ends it."""


@dataclass(frozen=True)
class ReplayContext:
    instance_id: str
    execution_id: str
    check_function: FunctionCheck


@dataclass
class ReplayResult:
    decisions: list[decisions.Decision] = field(default_factory=list)
    finished: bool = False
    continue_as_new: str | None = None
    continued: bool = False
    error: str | None = None
    nondeterminism: str | None = None


_COMPLETIONS = {
    EventType.TASK_COMPLETED: ("TaskScheduledId", False),
    EventType.TASK_FAILED: ("TaskScheduledId", True),
    EventType.SUB_ORCHESTRATION_COMPLETED: ("TaskScheduledId", False),
    EventType.SUB_ORCHESTRATION_FAILED: ("TaskScheduledId", True),
    EventType.TIMER_FIRED: ("TimerId", False),
}


class ShimReplay:
    """One replay of an episode; ``run`` consumes the whole history once."""

    def __init__(self, ctx: ReplayContext, actions: list[dict[str, Any]], *, failed: bool) -> None:
        self._ctx = ctx
        self._actions = actions
        self._failed = failed
        self._index = 0
        self._next_id = 0
        self._now = datetime.min.replace(tzinfo=UTC)
        self._open: dict[int, decisions.Decision] = {}
        self._awaiting: dict[int, HostTask] = {}
        self._waiters: dict[str, deque[HostTask]] = {}
        self._buffered: dict[str, deque[Event]] = {}
        self._started = False
        self.result = ReplayResult()

    # --- history ---------------------------------------------------------------------------
    def run(self, history: list[Event]) -> ReplayResult:
        try:
            for event in history:
                self._replay(event)
        except NonDeterminismError as exc:
            self.result.nondeterminism = str(exc)
        except _StoppedByFailure:
            pass  # ``finished``: the caller fails the instance with the orchestrator's error
        except ActionError as exc:
            self.result.error = str(exc)
        self.result.decisions = [self._open[i] for i in sorted(self._open)]
        return self.result

    def _replay(self, event: Event) -> None:
        kind = EventType(event["EventType"])
        if kind is EventType.ORCHESTRATOR_STARTED:
            self._now = parse_time(event["Timestamp"])
        elif kind is EventType.EXECUTION_STARTED and not self._started:
            self._started = True
            self._advance()
        elif kind in SCHEDULED_EVENTS:
            self._match(event)
        elif kind in _COMPLETIONS:
            key, failed = _COMPLETIONS[kind]
            task = self._awaiting.pop(int(event[key]), None)
            if task is not None:
                task.complete(failed=failed)
        elif kind is EventType.EVENT_RAISED:
            self._deliver(event)

    def _match(self, event: Event) -> None:
        seq = int(event["EventId"])
        decision = self._open.pop(seq, None)
        if decision is None and self._failed and self.result.finished:
            raise _StoppedByFailure
        decision = check_same_step(seq, event, decision)
        if event["EventType"] == EventType.EVENT_SENT and decision.what.startswith("entity call"):
            recorded_id = json.loads(event["Input"])["id"]
            sent_id = json.loads(decision.event["Input"])["id"]
            waiters = self._waiters.pop(sent_id.lower(), None)
            if waiters:
                self._waiters[recorded_id.lower()] = waiters

    def _deliver(self, event: Event) -> None:
        name = str(event.get("Name", "")).lower()
        waiters = self._waiters.get(name)
        if waiters:
            waiters.popleft().complete()
        else:
            self._buffered.setdefault(name, deque()).append(event)

    # --- actions ---------------------------------------------------------------------------
    def _advance(self, _task: HostTask | None = None) -> None:
        while self._index < len(self._actions):
            action = self._actions[self._index]
            self._index += 1
            task = self._invoke(action)
            if not task.done:
                task.on_done(self._advance)
                return
        self.result.finished = True

    def _invoke(self, action: dict[str, Any]) -> HostTask:
        kind = action.get("actionType")
        handlers: dict[Any, Callable[[dict[str, Any]], HostTask]] = {
            0: self._call_activity,
            1: self._call_activity,
            2: self._call_sub_orchestrator,
            3: self._call_sub_orchestrator,
            4: self._continue_as_new,
            5: self._create_timer,
            6: lambda a: self._wait_event(str(a["externalEventName"])),
            7: self._call_entity,
            9: self._signal_entity,
            10: self._signal_entity,
            11: self._compound,
            12: self._compound,
        }
        handler = handlers.get(kind)
        if handler is not None:
            return handler(action)
        if kind == 8:
            raise ActionError("call_http (durable HTTP) is not supported by devhost")
        raise ActionError(f"unexpected action type {kind!r} from the orchestrator")

    def _require(self, kind: str, name: str) -> None:
        problem = self._ctx.check_function(kind, name)
        if problem:
            raise ActionError(problem)

    def _take_id(self) -> int:
        seq, self._next_id = self._next_id, self._next_id + 1
        return seq

    @property
    def _scope(self) -> decisions.Scope:
        return decisions.Scope(
            self._ctx.instance_id, self._ctx.execution_id, format_time(self._now)
        )

    def _schedule(self, decision: decisions.Decision, *, awaited: bool = True) -> HostTask:
        """Record a scheduling call; its completion event completes the returned task."""
        self._open[decision.id] = decision
        task = HostTask()
        if awaited:
            self._awaiting[decision.id] = task
        return task

    def _retrying(self, action: dict[str, Any], attempt: Callable[[], HostTask]) -> HostTask:
        if "retryOptions" not in action or action["actionType"] not in (1, 3):
            return attempt()
        return with_retry(attempt, self._timer, lambda: self._now, action["retryOptions"])

    def _call_activity(self, action: dict[str, Any]) -> HostTask:
        name = str(action["functionName"])
        self._require("activity", name)

        def attempt() -> HostTask:
            return self._schedule(
                decisions.activity(self._scope, self._take_id(), name, action.get("input"))
            )

        return self._retrying(action, attempt)

    def _call_sub_orchestrator(self, action: dict[str, Any]) -> HostTask:
        name = str(action["functionName"])
        self._require("orchestrator", name)
        given = action.get("instanceId")
        if given is not None and (given == self._ctx.instance_id or str(given).startswith("@")):
            raise ActionError(f"invalid sub-orchestration instance ID {given!r}")

        def attempt() -> HostTask:
            seq = self._take_id()
            child = given or f"{self._ctx.execution_id}:{seq}"
            version = str(action.get("version") or "")
            decision = decisions.sub_orchestration(
                self._scope, seq, name, child, action.get("input"), version=version
            )
            return self._schedule(decision)

        return self._retrying(action, attempt)

    def _continue_as_new(self, action: dict[str, Any]) -> HostTask:
        self.result.continued = True
        self.result.continue_as_new = action.get("input")
        return completed_task()

    def _create_timer(self, action: dict[str, Any]) -> HostTask:
        return self._timer(parse_time(action["fireAt"]), bool(action.get("isCanceled")))

    def _timer(self, fire_at: datetime, cancelled: bool = False) -> HostTask:
        task = self._schedule(
            decisions.timer(self._scope, self._take_id(), fire_at), awaited=not cancelled
        )
        if cancelled:
            task.complete(failed=True)
        return task

    def _entity_target(self, action: dict[str, Any]) -> None:
        target = str(action["instanceId"])
        self._require("entity", target.split("@")[1] if target.count("@") >= 2 else target)

    def _call_entity(self, action: dict[str, Any]) -> HostTask:
        self._entity_target(action)
        seq = self._take_id()
        decision = decisions.entity_message(self._scope, seq, action, signal=False, visible_at=None)
        self._schedule(decision, awaited=False)
        return self._wait_event(decisions.entity_request_id(self._scope, seq))

    def _signal_entity(self, action: dict[str, Any]) -> HostTask:
        self._entity_target(action)
        visible = parse_time(action["fireAt"]) if action.get("actionType") == 10 else None
        decision = decisions.entity_message(
            self._scope, self._take_id(), action, signal=True, visible_at=visible
        )
        self._schedule(decision, awaited=False)
        return completed_task()

    def _compound(self, action: dict[str, Any]) -> HostTask:
        children = [self._invoke(child) for child in action.get("compoundActions") or []]
        return when_any(children) if action["actionType"] == 11 else when_all(children)

    def _wait_event(self, name: str) -> HostTask:
        key = name.lower()
        buffered = self._buffered.get(key)
        task = HostTask()
        if buffered:
            buffered.popleft()
            task.complete()
        else:
            self._waiters.setdefault(key, deque()).append(task)
        return task
