"""Durable client calls addressed to this very host, answered in process.

The SDK's ``DurableOrchestrationClient`` sends every call over HTTP to the binding's
``rpcBaseUrl``; on devhost that is this process. Under load such a call, made by a function the
host is serving, queued for one of the SDK's 30 pooled connections, then for the HTTP front's
event loop, and only then for the store (a raised approval took seconds while a read took
milliseconds). Raising an event is therefore delivered without the round trip: the request is
routed by the management API's own routes and answered by the handler code the HTTP route runs
(``ManagementApi.raise_status``), with the same status and an empty body, as the SDK reads
them. Every other call still goes over HTTP, as do calls made from any other event loop than
the host's (the store's pool belongs to that loop).

The SDK's client takes its request functions from its module when it is constructed
(``post_async_request``); ``register`` wraps that one function once per process. Hosts register
their ``rpcBaseUrl``, so several hosts in one process (tests) each get their own calls.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from yarl import URL

#: Answers a POST to ``path`` (below ``rpcBaseUrl``) with the SDK's ``[status, body]``, or
#: ``None`` when the call must go over HTTP.
Deliver = Callable[[str, str], Awaitable[list[Any] | None]]
_SDK_MODULE = "azure.durable_functions.models.DurableOrchestrationClient"
_MARK = "__devhost_local_client__"


@dataclass(frozen=True)
class _Host:
    base: URL
    loop: asyncio.AbstractEventLoop
    deliver: Deliver


_hosts: dict[str, _Host] = {}


def register(rpc_base_url: str, deliver: Deliver) -> None:
    """Answer this host's client calls in process (on the running loop, the host's)."""
    _install()
    _hosts[rpc_base_url] = _Host(URL(rpc_base_url), asyncio.get_running_loop(), deliver)


def unregister(rpc_base_url: str) -> None:
    _hosts.pop(rpc_base_url, None)


async def local_post(url: str, data: Any) -> list[Any] | None:
    """The in-process answer to the SDK's POST of ``data`` (its ``json=``) to ``url``, or
    ``None``: not this process's host, not the host's loop, or not a call served here."""
    if not isinstance(data, str):  # no body, or one the SDK never sends to a served route
        return None
    target = URL(url)
    for host in _hosts.values():
        base = host.base
        if target.origin() == base.origin() and target.path.startswith(base.path):
            if asyncio.get_running_loop() is not host.loop:
                return None
            # what the HTTP route reads: the path decoded, the body as the SDK encodes it
            return await host.deliver(target.path[len(base.path) :], json.dumps(data))
    return None


def _install() -> None:
    """Wrap the SDK client's ``post_async_request`` (once per process)."""
    module: Any = importlib.import_module(_SDK_MODULE)
    original = module.post_async_request
    if getattr(original, _MARK, False):
        return

    async def post_async_request(
        url: str,
        data: Any = None,
        trace_parent: str | None = None,
        trace_state: str | None = None,
        function_invocation_id: str | None = None,
    ) -> list[Any]:
        answer = await local_post(url, data)
        if answer is not None:
            return answer
        sent: list[Any] = await original(
            url, data, trace_parent, trace_state, function_invocation_id
        )
        return sent

    setattr(post_async_request, _MARK, True)
    module.post_async_request = post_async_request
