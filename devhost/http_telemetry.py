"""The HTTP server span and ``http.server.request.duration`` of every request devhost serves
to the app, as the Functions host does in Azure.

The caller's W3C ``traceparent``/``tracestate`` become the span's parent; the span is current
while the function runs, so the function's spans (intake, orchestration start) join the trace.
``tenant`` and ``task`` route parameters are the span's ``agent.tenant`` and ``agent.task.id``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.telemetry.metrics import http_server_duration
from shared.telemetry.setup import tracer
from shared.telemetry.tracing import TASK_ID, TENANT


async def traced_request(
    request: web.Request,
    route: str,
    params: Mapping[str, str],
    handle: Callable[[], Awaitable[web.Response]],
) -> web.Response:
    """Run ``handle`` inside the request's server span and record its duration."""
    parent = propagate.extract(
        {
            k.lower(): v
            for k, v in request.headers.items()
            if k.lower() in ("traceparent", "tracestate")
        }
    )
    attributes = {
        "http.request.method": request.method,
        "http.route": route,
        "url.path": request.path,
        "url.scheme": request.scheme,
    }
    for param, attribute in (("tenant", TENANT), ("task", TASK_ID)):
        if params.get(param):
            attributes[attribute] = params[param]
    started = time.perf_counter()
    with tracer().start_as_current_span(
        f"{request.method} {route}", context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        response = await handle()
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
    http_server_duration().record(
        time.perf_counter() - started,
        {
            "http.request.method": request.method,
            "http.route": route,
            "http.response.status_code": response.status,
        },
    )
    return response
