"""Timer triggers: NCRONTAB schedules, fired once per occurrence across devhosts.

The Functions host reads a timer's ``schedule`` (six NCRONTAB fields: second, minute, hour, day,
month, day of week; ``%SETTING%`` is replaced by the app setting) and calls the function with a
``TimerRequest`` at each occurrence, as a singleton: several hosts of one app fire each
occurrence once. devhost does the same: each occurrence is claimed in the store's
``timer_runs`` table (one row per function, the last occurrence fired) before the call, so
devhosts sharing a store schema fire it once. ``runOnStartup`` fires once when the host starts.
An occurrence is ``past_due`` when it fires more than a second late; ``schedule_status`` gives
``Last`` (the occurrence firing) and ``Next``, as the host's schedule monitor does. Day of month
and day of week must both match (``*`` matches all). Occurrences are computed in UTC
(``WEBSITE_TIME_ZONE`` is not honoured). ``POST /admin/functions/{name}`` runs a timer function
at once, as on the Functions host (devhost asks for no master key).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure.functions.timer import TimerRequest

from devhost.invoker import Invoker
from devhost.loader import AppFunction, FunctionKind, LoadedApp

log = logging.getLogger("devhost.timers")

_NAMES = {
    4: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    5: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}
_BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


class ScheduleError(ValueError):
    """A timer schedule that is not a six-field NCRONTAB expression."""


def _value(text: str, field: int) -> int:
    names = _NAMES.get(field)
    if names and text.lower() in names:
        return names.index(text.lower()) + (1 if field == 4 else 0)
    if not text.isdigit():
        raise ScheduleError(f"{text!r} is not a number")
    return int(text)


def _field(text: str, field: int) -> frozenset[int]:
    low, high = _BOUNDS[field]
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|[^-/]+(?:-[^-/]+)?)(?:/(\d+))?", part)
        if match is None:
            raise ScheduleError(f"cannot read {part!r}")
        span, step = match.group(1), int(match.group(2) or 1)
        if span == "*":
            start, end = low, high
        elif "-" in span:
            start, end = (_value(v, field) for v in span.split("-"))
        else:
            start = _value(span, field)
            end = high if match.group(2) else start
        if field == 5 and end == 7:  # both 0 and 7 are Sunday
            values.add(0)
            if start == 7:
                continue
            end = 6
        if not (low <= start <= end <= high) or step < 1:
            raise ScheduleError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        fields = expression.split()
        if len(fields) != 6:
            raise ScheduleError(
                f"schedule {expression!r}: expected six NCRONTAB fields "
                "(second minute hour day month day-of-week)"
            )
        return cls(*(_field(text, n) for n, text in enumerate(fields)))

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after ``moment`` (UTC, whole seconds)."""
        t = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in self.months:
                month = t.replace(day=1, hour=0, minute=0, second=0)
                t = (month + timedelta(days=32)).replace(day=1)
            elif t.day not in self.days or (t.isoweekday() % 7) not in self.weekdays:
                t = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            elif t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0, second=0)
            elif t.minute not in self.minutes:
                t = (t + timedelta(minutes=1)).replace(second=0)
            elif t.second not in self.seconds:
                t += timedelta(seconds=1)
            else:
                return t
        raise ScheduleError("the schedule has no occurrence in the next five years")


class TimerTriggers:
    """Runs every timer function of an app on its schedule until ``stop``."""

    def __init__(
        self,
        app: LoadedApp,
        invoker: Invoker,
        client_binding: Callable[[], str],
        claim: Callable[[str, datetime], Awaitable[bool]],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``claim(name, due)`` is an async callable: True when this host fires ``due``."""
        self._app = app
        self._invoker = invoker
        self._client_binding = client_binding
        self._claim = claim
        self._clock = clock
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for function in self._app.of_kind(FunctionKind.TIMER):
            assert function.schedule is not None
            schedule = Schedule.parse(function.schedule)
            self._tasks.append(
                asyncio.create_task(self._run(function, schedule), name=f"timer-{function.name}")
            )

    def run_now(self, name: str) -> asyncio.Task[None] | None:
        """Fire timer function ``name`` once now, as the host's ``POST /admin/functions/{name}``
        does (``None`` when there is no such timer function)."""
        for function in self._app.of_kind(FunctionKind.TIMER):
            if function.name.lower() == name.lower():
                assert function.schedule is not None
                now = self._clock()
                following = Schedule.parse(function.schedule).next_after(now)
                task = asyncio.create_task(self._fire(function, now, following, past_due=False))
                self._tasks.append(task)
                return task
        return None

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _run(self, function: AppFunction, schedule: Schedule) -> None:
        due = schedule.next_after(self._clock())
        if function.run_on_startup:
            await self._fire(function, self._clock(), due, past_due=False)
        while True:
            await asyncio.sleep(max(0.0, (due - self._clock()).total_seconds()))
            try:
                won = await self._claim(function.name, due)
            except Exception as exc:
                log.warning("timer %s: claiming %s failed: %s", function.name, due, exc)
                won = False
            following = schedule.next_after(due)
            if won:
                late = (self._clock() - due).total_seconds() > 1.0
                await self._fire(function, due, following, past_due=late)
            # A run longer than the period skips occurrences, never piles them up.
            due = following if following > self._clock() else schedule.next_after(self._clock())

    async def _fire(
        self, function: AppFunction, due: datetime, following: datetime, *, past_due: bool
    ) -> None:
        status = {
            "Last": due.isoformat(),
            "Next": following.isoformat(),
            "LastUpdated": self._clock().isoformat(),
        }
        timer = TimerRequest(past_due=past_due, schedule_status=status)
        args: dict[str, object] = {function.trigger_param: timer}
        args.update({name: self._client_binding() for name in function.client_params})
        try:
            await self._invoker.call(function, args)
        except Exception:
            log.exception("timer function %s failed", function.name)
