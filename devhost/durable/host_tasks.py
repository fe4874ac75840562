"""The host's view of durable tasks during a replay: completion sources with callbacks.

They model the .NET tasks the Durable extension's out-of-proc shim awaits. Callbacks run
synchronously when a task completes, in the order history events are replayed: that is what
makes sequence-id assignment (a retry timer created when a failure is replayed, the next action
scheduled when the awaited one completes) match the real host. Faults and cancellations count as
completion, as ``await`` inside the shim's try/catch does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any


class HostTask:
    """A task that completes once; callbacks registered later run immediately."""

    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self._callbacks: list[Callable[[HostTask], None]] = []

    def complete(self, *, failed: bool = False) -> None:
        if self.done:
            return
        self.done, self.failed = True, failed
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def on_done(self, callback: Callable[[HostTask], None]) -> None:
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)


def completed_task() -> HostTask:
    task = HostTask()
    task.complete()
    return task


def when_all(children: list[HostTask]) -> HostTask:
    """Completes when every child has completed (faulted ones included), as ``Task.WhenAll``."""
    result = HostTask()
    pending = [len(children)]

    def child_done(child: HostTask) -> None:
        pending[0] -= 1
        if pending[0] == 0:
            result.complete(failed=any(c.failed for c in children))

    if not children:
        result.complete()
    for child in children:
        child.on_done(child_done)
    return result


def when_any(children: list[HostTask]) -> HostTask:
    """Completes when the first child completes, as ``Task.WhenAny``."""
    result = HostTask()
    for child in children:
        child.on_done(lambda _child: result.complete())
    return result


def retry_delay(options: dict[str, Any], failed_attempts: int) -> timedelta:
    """DTFx's delay before the next attempt: first interval x backoff^n, capped."""
    first = float(options.get("firstRetryIntervalInMilliseconds", 0))
    backoff = float(options.get("backoffCoefficient", 1.0))
    delay = first * backoff ** (failed_attempts - 1)
    cap = options.get("maxRetryIntervalInMilliseconds")
    if cap is not None:
        delay = min(delay, float(cap))
    return timedelta(milliseconds=delay)


def with_retry(
    attempt: Callable[[], HostTask],
    timer: Callable[[datetime], HostTask],
    now: Callable[[], datetime],
    options: dict[str, Any],
) -> HostTask:
    """DTFx's retry interceptor: after EVERY failed attempt, the last one included, a timer.

    The SDK waits for that final timer before it reports the failure, so the host must create
    it too, or the orchestration would hang.
    """
    result = HostTask()
    max_attempts = max(1, int(options.get("maxNumberOfAttempts", 1)))
    failures = [0]

    def start() -> None:
        attempt().on_done(attempt_done)

    def attempt_done(task: HostTask) -> None:
        if not task.failed:
            result.complete()
            return
        failures[0] += 1
        timer(now() + retry_delay(options, failures[0])).on_done(timer_done)

    def timer_done(_task: HostTask) -> None:
        if failures[0] >= max_attempts:
            result.complete(failed=True)
        else:
            start()

    start()
    return result
