"""Spans of one task, from the webhook to the pull request, as one trace.

The task's trace context travels in the orchestration's input (``TRACE_KEY``, put there by the
Durable client adapter) and so in every activity's input. Activities open their span under it
(``activity_span``); the orchestration's own span is emitted once, by the last activity
(``emit_orchestration_span``), with the span id the activities already name as their parent, so
replaying the orchestrator never emits a span. ``task_scope`` makes every span started inside it
carry ``agent.tenant`` and ``agent.task.id`` (``TaskAttributes`` in ``processors``).

Only the OpenTelemetry API is imported here, lazily: without a configured SDK all of this is a
no-op, and ``import function_app`` stays fast.
"""

from __future__ import annotations

import contextvars
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.telemetry.setup import tracer

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span

TENANT = "agent.tenant"
TASK_ID = "agent.task.id"
#: The key of the trace carrier in an orchestration's input (and so in the task dict).
TRACE_KEY = "trace"

_scope: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "agent_task_scope", default=None
)
#: A span id the next span started must take (see ``processors.PresetSpanIds``).
preset_span_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "agent_preset_span_id", default=None
)


def scope_attributes() -> dict[str, str]:
    """``agent.tenant`` (and ``agent.task.id`` once known) of the current task scope."""
    scope = _scope.get()
    if scope is None:
        return {}
    tenant, task_id = scope
    return {TENANT: tenant, TASK_ID: task_id} if task_id else {TENANT: tenant}


@contextmanager
def task_scope(tenant: str, task_id: str = "") -> Iterator[None]:
    """Spans started inside carry ``tenant`` and ``task_id`` (the current span gets them too)."""
    from opentelemetry import trace

    token = _scope.set((tenant, task_id))
    trace.get_current_span().set_attributes(scope_attributes())
    try:
        yield
    finally:
        _scope.reset(token)


def orchestration_carrier() -> dict[str, str] | None:
    """The carrier for a new orchestration started under the current span: its ``traceparent``
    names the orchestration's span (a fresh id, emitted at the end), ``parent`` the current span
    and ``started_ns`` when it started. None outside a recorded trace."""
    from opentelemetry import trace

    current = trace.get_current_span().get_span_context()
    if not current.is_valid:
        return None
    span_id = secrets.randbits(64) or 1
    flags = int(current.trace_flags)
    return {
        "traceparent": f"00-{current.trace_id:032x}-{span_id:016x}-{flags:02x}",
        "parent": f"{current.span_id:016x}",
        "started_ns": str(time.time_ns()),
    }


def _context(trace_id: int, span_id: int, flags: int) -> Context:
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    parent = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags))
    return trace.set_span_in_context(NonRecordingSpan(parent))


def _ids(carrier: Mapping[str, str]) -> tuple[int, int, int] | None:
    """``(trace id, span id, flags)`` of a carrier's traceparent, or None if malformed."""
    parts = str(carrier.get("traceparent", "")).split("-")
    try:
        if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
            return int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    return None


def carrier_of(payload: Mapping[str, Any]) -> dict[str, str] | None:
    """Take the trace carrier out of an activity payload's task (the use case never sees it)."""
    task = payload.get("task")
    found = task.pop(TRACE_KEY, None) if isinstance(task, dict) else None
    found = found or payload.get(TRACE_KEY)
    return dict(found) if isinstance(found, Mapping) else None


@contextmanager
def activity_span(
    name: str, tenant: str, task_id: str, carrier: Mapping[str, str] | None
) -> Iterator[Span]:
    """The span of one activity execution, a child of the orchestration's span."""
    ids = _ids(carrier) if carrier else None
    context = _context(*ids) if ids else None
    from opentelemetry.trace import SpanKind

    attributes = {"durable.activity.name": name}
    with (
        task_scope(tenant, task_id),
        _span(f"activity {name}", SpanKind.INTERNAL, attributes, context=context) as span,
    ):
        yield span


def emit_orchestration_span(
    flow: str, carrier: Mapping[str, str] | None, outcome: str, tenant: str, task_id: str
) -> None:
    """Emit the orchestration's span (id from the carrier, start from ``started_ns``, ending
    now). Called once per execution, by its last activity."""
    ids = _ids(carrier) if carrier else None
    if carrier is None or ids is None:
        return
    trace_id, span_id, flags = ids
    try:
        parent, started = int(carrier["parent"], 16), int(carrier["started_ns"])
    except (KeyError, ValueError):
        return
    token = preset_span_id.set(span_id)
    try:
        span = tracer().start_span(
            f"orchestration {flow}",
            context=_context(trace_id, parent, flags),
            start_time=started,
            attributes={
                "durable.orchestration.name": flow,
                "agent.task.outcome": outcome,
                TENANT: tenant,
                TASK_ID: task_id,
            },
        )
    finally:
        preset_span_id.reset(token)
    span.end()


@contextmanager
def client_span(name: str, attributes: Mapping[str, Any]) -> Iterator[Span]:
    """A CLIENT span around one call to a dependency (SCM, LLM, database)."""
    from opentelemetry.trace import SpanKind

    with _span(name, SpanKind.CLIENT, attributes) as span:
        yield span


@contextmanager
def _span(name: str, kind: Any, attributes: Mapping[str, Any], **options: Any) -> Iterator[Span]:
    """A current span; an exception marks it with ``error.type`` only. Exception messages and
    tracebacks are not recorded: they can quote a provider's answer or a repository's text."""
    from opentelemetry.trace import Status, StatusCode

    with tracer().start_as_current_span(
        name,
        kind=kind,
        attributes=dict(attributes),
        record_exception=False,
        set_status_on_exception=False,
        **options,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


@dataclass
class Delivery:
    """What a webhook's intake came to: set by the trigger inside ``intake_span``."""

    outcome: str = "error"
    task_id: str | None = None


@contextmanager
def intake_span(provider: str, tenant: str, traceparent: str = "") -> Iterator[Delivery]:
    """The span of one webhook's intake, a child of the HTTP server span; where none is current
    (on Azure, whose host records the request itself), of ``traceparent``, the invocation's
    trace context, so that App Insights correlates it with the host's request. On the way out
    the outcome (and the task id, which links the webhook to its task) go on both spans, and the
    delivery is counted in ``agent.webhooks`` by provider and outcome."""
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind

    from shared.telemetry.metrics import webhooks

    server = trace.get_current_span()
    context = None
    if not server.get_span_context().is_valid and traceparent:
        context = propagate.extract({"traceparent": traceparent})
    delivery = Delivery()
    with (
        task_scope(tenant),
        _span("intake", SpanKind.INTERNAL, {"scm.provider": provider}, context=context) as span,
    ):
        try:
            yield delivery
        finally:
            for target in (span, server):
                target.set_attribute("agent.webhook.outcome", delivery.outcome)
                if delivery.task_id:
                    target.set_attribute(TASK_ID, delivery.task_id)
            webhooks().add(1, {"scm.provider": provider, "agent.webhook.outcome": delivery.outcome})
