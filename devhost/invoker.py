"""Calling user functions as the Python worker does: async ones on the host's one event loop,
sync ones in a thread pool, arguments passed by binding name.

All user code shares one long-lived loop because the Durable SDK keeps a module-global aiohttp
session bound to the loop that first used it. Sync functions never run on the loop: user code
calls back into the host over HTTP while the host is serving its request, and a blocked loop
would deadlock that call.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import uuid
from concurrent.futures import Executor
from typing import Any

import azure.functions as func
from azure.functions import _abc

from devhost.loader import CONTEXT_PARAM, AppFunction


class _TraceContext(_abc.TraceContext):
    def __init__(self, trace_parent: str = "", trace_state: str = "") -> None:
        self._parent, self._state = trace_parent, trace_state

    @property
    def trace_state(self) -> str:
        return self._state

    @property
    def trace_parent(self) -> str:
        return self._parent

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> _abc.RpcException:
        raise AttributeError("no previous attempt failed")


class InvocationContext(func.Context):
    """The ``context`` argument: invocation id, function name and directory."""

    _local = threading.local()

    def __init__(self, function: AppFunction, directory: str, trace_parent: str = "") -> None:
        self._id = str(uuid.uuid4())
        self._function = function.name
        self._directory = directory
        self._trace = _TraceContext(trace_parent)

    @property
    def invocation_id(self) -> str:
        return self._id

    @property
    def thread_local_storage(self) -> Any:
        return self._local

    @property
    def function_name(self) -> str:
        return self._function

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> _abc.TraceContext:
        return self._trace

    @property
    def retry_context(self) -> _abc.RetryContext:
        return _RetryContext()


class Invoker:
    """Runs user functions on the host loop (async) or in ``executor`` (sync)."""

    def __init__(self, executor: Executor, app_dir: str) -> None:
        self._executor = executor
        self._app_dir = app_dir

    async def call(
        self, function: AppFunction, args: dict[str, Any], *, trace_parent: str = ""
    ) -> Any:
        """Call ``function`` with ``args`` (by binding name); exceptions propagate."""
        kwargs = dict(args)
        if function.wants_context:
            kwargs[CONTEXT_PARAM] = InvocationContext(function, self._app_dir, trace_parent)
        target = function.user_function
        if function.is_async:
            return await target(**kwargs)
        return await self.run_sync(target, **kwargs)

    async def run_sync(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a blocking callable in the pool, with the caller's context variables."""
        call = functools.partial(contextvars.copy_context().run, target, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)
