"""Trace and span ids on every log record, so a log line leads to its trace.

Records get ``trace_id`` (32 hex digits) and ``span_id`` (16 hex digits) of the span current
when they were made, all zeros outside a span. ``install_trace_context`` does it for every
logger through the log record factory (handlers added later by the Functions worker included);
``TRACE_LOG_FORMAT`` shows them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

TRACE_LOG_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [trace_id=%(trace_id)s span_id=%(span_id)s] %(message)s"
)
NO_TRACE_ID = "0" * 32
NO_SPAN_ID = "0" * 16

RecordFactory = Callable[..., logging.LogRecord]


def current_ids() -> tuple[str, str]:
    """``(trace_id, span_id)`` of the current span as hex, or zeros outside a valid span."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return NO_TRACE_ID, NO_SPAN_ID
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def trace_context_factory(previous: RecordFactory) -> RecordFactory:
    """A log record factory that calls ``previous`` and adds the current trace and span ids."""

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.trace_id, record.span_id = current_ids()
        return record

    make_record.adds_trace_context = True  # type: ignore[attr-defined]
    return make_record


def install_trace_context() -> None:
    """Make every log record carry trace and span ids (once; later calls change nothing)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "adds_trace_context", False):
        logging.setLogRecordFactory(trace_context_factory(current))
