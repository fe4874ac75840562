"""Deciding one orchestration episode: messages in, history and effects out.

An episode takes the instance's visible inbox messages in arrival order. Messages addressed to an
older execution are dropped. A terminate message ends the instance at once; suspend and resume
are handled alone, as their own episode; everything else before the first such control message
is one batch: the batch's events are appended after a new ``OrchestratorStarted`` (whose timestamp
is the episode's ``current_utc_datetime``), the orchestrator's ``handle`` replays the whole
history through the unmodified SDK, and ``ShimReplay`` turns the returned actions into history
events and effects the way the real host does. ``decide`` is synchronous and pure apart from
running the user's orchestrator, so the caller runs it in a worker thread.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import azure.functions as func

from devhost.durable import outcomes
from devhost.durable.decisions import Effect
from devhost.durable.events import (
    CONTROL_EVENTS,
    Event,
    EventType,
    RuntimeStatus,
    format_time,
    new_event,
    parse_time,
)
from devhost.durable.model import (
    ActivityCall,
    EpisodeOutcome,
    EpisodeWork,
    Message,
    NewInstance,
    OutMessage,
)
from devhost.durable.orchestrator_state import (
    OrchestratorOutput,
    ProtocolError,
    parse_raised,
    parse_returned,
)
from devhost.durable.outcomes import Execution
from devhost.durable.replay import ReplayContext, ShimReplay
from devhost.loader import AppFunction, FunctionKind, LoadedApp

log = logging.getLogger("devhost.durable")


@dataclass(frozen=True)
class _Episode:
    """An episode being decided: the execution it runs and the messages that are its own."""

    work: EpisodeWork
    execution: Execution
    start: Message | None
    current: list[Message]
    stale: list[int]
    history: list[Event]


def _as_history(message: Message, stamp: str) -> Event:
    event = dict(message.event)
    event.setdefault("EventId", -1)
    event.setdefault("Timestamp", stamp)
    return event


def _episode_stamp(history: list[Event], now: datetime) -> str:
    """``now``, pushed past the last OrchestratorStarted so replay time never goes back."""
    started = [e for e in history if e["EventType"] == EventType.ORCHESTRATOR_STARTED]
    if started:
        last = parse_time(started[-1]["Timestamp"])
        now = max(now, last + timedelta(microseconds=1))
    return format_time(now)


class EpisodeEngine:
    """Runs the app's orchestrators and decides what each episode changes."""

    def __init__(self, app: LoadedApp) -> None:
        self._app = app

    def check_function(self, kind: str, name: str) -> str | None:
        return self._app.missing_message(kind, name)

    def decide(self, work: EpisodeWork, now: datetime) -> EpisodeOutcome:
        messages = sorted(work.messages, key=lambda m: m.id)
        start = next(
            (m for m in messages if m.event["EventType"] == EventType.EXECUTION_STARTED), None
        )
        if start is not None and not self._may_start(work, start):
            return self._refuse_start(work, start, now)
        status = work.instance.status
        if start is None and (status.is_terminal or status is RuntimeStatus.PENDING):
            # finished instances discard late messages, as DTFx does
            return EpisodeOutcome(consumed=[m.id for m in messages])
        episode = self._episode(work, messages, start, now)
        terminate = next(
            (m for m in episode.current if m.event["EventType"] == EventType.EXECUTION_TERMINATED),
            None,
        )
        if terminate is not None:
            return self._terminate(episode, terminate)
        controls = [m for m in episode.current if m.event["EventType"] in CONTROL_EVENTS]
        if start is not None:
            # a new execution starts with its ExecutionStarted; control messages wait
            others = [m for m in episode.current if m is not start and m not in controls]
            return self._run(episode, [start, *others])
        if status is RuntimeStatus.SUSPENDED or (controls and controls[0] is episode.current[0]):
            return self._control(episode, controls[0] if controls else None)
        first_control = controls[0].id if controls else None
        return self._run(
            episode, [m for m in episode.current if first_control is None or m.id < first_control]
        )

    def _episode(
        self, work: EpisodeWork, messages: list[Message], start: Message | None, now: datetime
    ) -> _Episode:
        execution_id = work.instance.execution_id
        if start is not None and start.execution_id:
            execution_id = start.execution_id
        current = [m for m in messages if m.execution_id in (None, execution_id)]
        history = [] if start else list(work.history)
        stamp = _episode_stamp(history, now)
        return _Episode(
            work=work,
            execution=self._execution(work, start, execution_id, stamp),
            start=start,
            current=current,
            stale=[m.id for m in messages if m not in current],
            history=history,
        )

    # --- lifecycle -------------------------------------------------------------------------
    @staticmethod
    def _may_start(work: EpisodeWork, start: Message) -> bool:
        instance = work.instance
        if instance.status.is_terminal:
            return True
        waiting = (RuntimeStatus.PENDING, RuntimeStatus.CONTINUED_AS_NEW)
        return instance.execution_id == start.execution_id and instance.status in waiting

    def _refuse_start(self, work: EpisodeWork, start: Message, now: datetime) -> EpisodeOutcome:
        outcome = EpisodeOutcome(consumed=[start.id])
        parent = start.event.get("ParentInstance")
        if parent:
            reason = (
                f"An orchestration with instance ID '{work.instance.instance_id}' already "
                f"exists and is {work.instance.status}"
            )
            refused = Execution(
                work.instance, work.instance.name, "", None, parent, None, format_time(now)
            )
            outcome.messages += outcomes.notify_parent(
                refused, EventType.SUB_ORCHESTRATION_FAILED, Reason=reason, Details=""
            )
        return outcome

    def _execution(
        self, work: EpisodeWork, start: Message | None, execution_id: str, stamp: str
    ) -> Execution:
        instance = work.instance
        if start is None:
            return Execution(
                instance,
                instance.name,
                execution_id,
                instance.input,
                instance.parent,
                instance.custom_status,
                stamp,
            )
        event = start.event
        return Execution(
            instance,
            str(event.get("Name") or instance.name),
            execution_id,
            event.get("Input"),
            event.get("ParentInstance"),
            None,
            stamp,
            recreated=instance.status.is_terminal,
        )

    def _terminate(self, episode: _Episode, terminate: Message) -> EpisodeOutcome:
        execution, start = episode.execution, episode.start
        reason = str(terminate.event.get("Input") or "")
        consumed = episode.stale + [m.id for m in episode.current]
        outcome = EpisodeOutcome(consumed=consumed, reset_history=start is not None)
        outcome.append.append(new_event(EventType.ORCHESTRATOR_STARTED, execution.stamp))
        if start is not None:
            outcome.append.append(_as_history(start, execution.stamp))
        outcome.append.append(_as_history(terminate, execution.stamp))
        outcomes.terminate(outcome, execution, reason)
        return outcome

    def _control(self, episode: _Episode, control: Message | None) -> EpisodeOutcome:
        """Suspend or resume, alone in its episode (a repeated one changes nothing)."""
        execution = episode.execution
        outcome = EpisodeOutcome(consumed=list(episode.stale))
        if control is None:
            return outcome
        outcome.consumed.append(control.id)
        kind = control.event["EventType"]
        status = execution.instance.status
        if kind == EventType.EXECUTION_SUSPENDED and status is not RuntimeStatus.SUSPENDED:
            status = RuntimeStatus.SUSPENDED
        elif kind == EventType.EXECUTION_RESUMED and status is RuntimeStatus.SUSPENDED:
            status = RuntimeStatus.RUNNING
        else:
            return outcome
        outcome.append += [
            new_event(EventType.ORCHESTRATOR_STARTED, execution.stamp),
            _as_history(control, execution.stamp),
        ]
        outcomes.running(outcome, execution, status)
        return outcome

    # --- running the orchestrator -------------------------------------------------------------
    def _run(self, episode: _Episode, batch: list[Message]) -> EpisodeOutcome:
        if not batch:  # only messages of an older execution: no episode, just drop them
            return EpisodeOutcome(consumed=episode.stale)
        execution = episode.execution
        outcome = EpisodeOutcome(
            consumed=episode.stale + [m.id for m in batch], reset_history=episode.start is not None
        )
        new_events = [new_event(EventType.ORCHESTRATOR_STARTED, execution.stamp)]
        new_events += [_as_history(m, execution.stamp) for m in batch]
        outcome.append = list(new_events)
        function = self._app.durable(FunctionKind.ORCHESTRATOR, execution.name)
        if function is None:
            outcomes.fail(
                outcome, execution, self.check_function("orchestrator", execution.name) or ""
            )
            return outcome
        full = episode.history + new_events
        try:
            output = self._call(function, execution, full, len(episode.history))
        except ProtocolError as exc:
            message = f"Orchestrator function '{execution.name}' failed: {exc}"
            outcomes.fail(outcome, execution, message)
            return outcome
        if output.has_custom_status:
            execution = replace(execution, custom_status=json.dumps(output.custom_status))
        instance_id = episode.work.instance.instance_id
        ctx = ReplayContext(instance_id, execution.execution_id, self.check_function)
        replay = ShimReplay(ctx, output.actions, failed=output.error is not None).run(full)
        if replay.nondeterminism:
            outcomes.fail(outcome, execution, replay.nondeterminism)
            return outcome
        for decision in replay.decisions:
            outcome.append.append(decision.event)
            for effect in decision.effects:
                _add_effect(outcome, effect)
        outcomes.conclude(
            outcome,
            execution,
            output,
            finished=replay.finished,
            continued=replay.continued,
            error=replay.error,
            new_input=replay.continue_as_new,
        )
        return outcome

    def _call(
        self, function: AppFunction, execution: Execution, history: list[Event], played: int
    ) -> OrchestratorOutput:
        parent = execution.parent or {}
        payload: dict[str, Any] = {
            "history": [{**event, "IsPlayed": i < played} for i, event in enumerate(history)],
            "input": execution.input,
            "instanceId": execution.instance.instance_id,
            "isReplaying": played > 0,
            "parentInstanceId": parent.get("InstanceId"),
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
        }
        context = func.OrchestrationContext(json.dumps(payload))
        try:
            returned = function.user_function(**{function.trigger_param: context})
        except Exception as exc:
            return parse_raised(exc)
        return parse_returned(returned)


def _add_effect(outcome: EpisodeOutcome, effect: Effect) -> None:
    if isinstance(effect, ActivityCall):
        outcome.activities.append(effect)
    elif isinstance(effect, NewInstance):
        outcome.new_instances.append(effect)
    elif isinstance(effect, OutMessage):
        outcome.messages.append(effect)
