"""SDK pieces the providers are built with (imported only when telemetry is configured).

``TaskAttributes`` stamps every span with the task scope's tenant and task id, whoever starts it
(our helpers or an instrumentation library). ``PresetSpanIds`` lets the orchestration's span be
emitted with the id its activities were given as parent (``tracing.emit_orchestration_span``).
"""

from __future__ import annotations

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator

from shared.telemetry.tracing import preset_span_id, scope_attributes


class TaskAttributes(SpanProcessor):
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        attributes = scope_attributes()
        if attributes:
            span.set_attributes(attributes)


class PresetSpanIds(IdGenerator):
    """``inner``'s ids, except a span id preset in the context for the next span."""

    def __init__(self, inner: IdGenerator) -> None:
        self._inner = inner

    def generate_span_id(self) -> int:
        return preset_span_id.get() or self._inner.generate_span_id()

    def generate_trace_id(self) -> int:
        return self._inner.generate_trace_id()
