"""Log records carry the current trace and span ids; the mode follows the settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from shared.config import Settings
from shared.telemetry.log_context import (
    NO_SPAN_ID,
    NO_TRACE_ID,
    TRACE_LOG_FORMAT,
    install_trace_context,
    trace_context_factory,
)
from shared.telemetry.setup import TelemetryMode, telemetry_mode


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter(TRACE_LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[_Capture]:
    """Records of a private logger, made through the trace-context factory."""
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(trace_context_factory(previous))
    handler = _Capture()
    logger = logging.getLogger("tests.telemetry.capture")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(previous)


def test_log_inside_a_span_carries_its_trace_and_span_ids(captured) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("tests.telemetry.capture").info("inside")
    context = span.get_span_context()
    [record] = captured.records
    assert record.trace_id == trace.format_trace_id(context.trace_id)
    assert record.span_id == trace.format_span_id(context.span_id)
    assert f"trace_id={record.trace_id} span_id={record.span_id}" in captured.format(record)


def test_log_outside_a_span_carries_zero_ids(captured) -> None:
    logging.getLogger("tests.telemetry.capture").info("outside")
    [record] = captured.records
    assert (record.trace_id, record.span_id) == (NO_TRACE_ID, NO_SPAN_ID)


def test_installing_twice_wraps_the_factory_once() -> None:
    previous = logging.getLogRecordFactory()
    try:
        logging.setLogRecordFactory(logging.LogRecord)  # whatever an earlier test installed
        install_trace_context()
        once = logging.getLogRecordFactory()
        install_trace_context()
        assert logging.getLogRecordFactory() is once is not logging.LogRecord
    finally:
        logging.setLogRecordFactory(previous)


@pytest.mark.parametrize(
    ("values", "mode"),
    [
        ({}, TelemetryMode.NONE),
        ({"otel_exporter_otlp_endpoint": "http://127.0.0.1:4318"}, TelemetryMode.OTLP),
        (
            {"applicationinsights_connection_string": "InstrumentationKey=x"},
            TelemetryMode.AZURE_MONITOR,
        ),
        (
            {
                "applicationinsights_connection_string": "InstrumentationKey=x",
                "otel_exporter_otlp_endpoint": "http://127.0.0.1:4318",
            },
            TelemetryMode.AZURE_MONITOR,
        ),
    ],
)
def test_mode_follows_the_settings(values, mode) -> None:
    unset = {"applicationinsights_connection_string": None, "otel_exporter_otlp_endpoint": None}
    assert telemetry_mode(Settings(**{**unset, **values})) is mode
