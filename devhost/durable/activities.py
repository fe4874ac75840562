"""Running one activity call with the SDK's own converters.

The input is decoded and the result encoded by ``ActivityTriggerConverter``, as the Python
worker does, so custom objects and plain JSON round-trip exactly as on Azure. The outcome is a
TaskCompleted or TaskFailed message for the calling execution; a failure's ``Reason`` is
"Activity function 'name' failed: <Type>: <message>" and its ``Details`` the traceback, which the
SDK turns into ``Exception(f"{Reason} \\n {Details}")`` in the orchestrator.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.durable.events import EventType, format_time, new_event, utc_now
from devhost.durable.model import ORCHESTRATION, ActivityCall, OutMessage
from devhost.invoker import Invoker
from devhost.loader import FunctionKind, LoadedApp

log = logging.getLogger("devhost.activities")


class ActivityRunner:
    """Calls activity functions: async ones on the loop, sync ones in the pool."""

    def __init__(
        self,
        app: LoadedApp,
        invoker: Invoker,
        client_binding: Callable[[], str],
        missing: Callable[[str, str], str | None],
    ) -> None:
        self._app = app
        self._invoker = invoker
        self._client_binding = client_binding
        self._missing = missing

    async def run(self, call: ActivityCall) -> OutMessage:
        """The result message for ``call`` (never raises for a failing activity)."""
        function = self._app.durable(FunctionKind.ACTIVITY, call.name)
        if function is None:
            return self._failed(call, self._missing("activity", call.name) or call.name, "")
        try:
            datum = meta.Datum(call.input, "json")
            argument = (
                ActivityTriggerConverter.decode(datum, trigger_metadata=None)
                if call.input is not None
                else None
            )
            args = {function.trigger_param: argument}
            args.update({name: self._client_binding() for name in function.client_params})
            result = await self._invoker.call(function, args)
            encoded = ActivityTriggerConverter.encode(result, expected_type=None)
        except Exception as exc:
            log.info("activity %s of %s failed: %s", call.name, call.instance_id, exc)
            reason = f"Activity function '{call.name}' failed: {type(exc).__name__}: {exc}"
            return self._failed(call, reason, traceback.format_exc())
        event = new_event(
            EventType.TASK_COMPLETED,
            format_time(utc_now()),
            TaskScheduledId=call.task_id,
            Result=encoded.value,
        )
        return OutMessage(call.instance_id, ORCHESTRATION, event, call.execution_id)

    @staticmethod
    def _failed(call: ActivityCall, reason: str, details: str) -> OutMessage:
        event = new_event(
            EventType.TASK_FAILED,
            format_time(utc_now()),
            TaskScheduledId=call.task_id,
            Reason=reason,
            Details=details,
        )
        return OutMessage(call.instance_id, ORCHESTRATION, event, call.execution_id)
