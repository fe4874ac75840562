"""Configure OpenTelemetry once per process, with the exporters the settings ask for.

``APPLICATIONINSIGHTS_CONNECTION_STRING`` set: the Azure Monitor distro (traces, metrics, logs
to Application Insights, plus its instrumentations). Else ``OTEL_EXPORTER_OTLP_ENDPOINT`` set:
OTLP over HTTP/protobuf to ``<endpoint>/v1/traces``, ``/v1/metrics`` and ``/v1/logs``. Else
``TELEMETRY_SPANS_FILE`` set (devhost sets it): spans as JSON lines in that file, for
``python -m tools.trace``. Else no exporter: the OpenTelemetry API stays a no-op. In every mode
log records carry trace ids, and every span the task's tenant and id (``processors``).

The SDK's own ``OTEL_*`` variables apply as documented: ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` (resource), ``OTEL_TRACES_SAMPLER``/``_ARG`` (sampler, OTLP and
file modes; Azure Monitor takes ``TELEMETRY_SAMPLING_RATIO``), ``OTEL_BSP_*`` and
``OTEL_METRIC_EXPORT_INTERVAL`` (export intervals). ``shutdown_telemetry`` flushes and closes
the providers (devhost calls it on SIGTERM).

OpenTelemetry's providers are process-global and can be set only once, so this module keeps the
one piece of process state there is: which mode was configured. Exporter SDKs are imported only
here, inside the mode that needs them, so importing the app stays fast.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum
from typing import TYPE_CHECKING

from shared.config import Settings
from shared.telemetry.log_context import install_trace_context

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

INSTRUMENTATION_NAME = "ai-code-agent"


class TelemetryMode(StrEnum):
    AZURE_MONITOR = "azure-monitor"
    OTLP = "otlp"
    LOCAL_FILE = "local-file"
    NONE = "none"


_lock = threading.Lock()
_configured: TelemetryMode | None = None


def telemetry_mode(settings: Settings) -> TelemetryMode:
    """The mode ``settings`` ask for (Azure Monitor wins when both exporters are set)."""
    if settings.applicationinsights_connection_string:
        return TelemetryMode.AZURE_MONITOR
    if settings.otel_exporter_otlp_endpoint:
        return TelemetryMode.OTLP
    if settings.telemetry_spans_file:
        return TelemetryMode.LOCAL_FILE
    return TelemetryMode.NONE


def configure_telemetry(settings: Settings) -> TelemetryMode:
    """Set up providers and exporters once per process and return the mode.

    Idempotent: later calls (with any settings) return the first call's mode and change nothing.
    """
    global _configured  # noqa: PLW0603 - the process-wide "configured once" guard
    with _lock:
        if _configured is not None:
            return _configured
        mode = telemetry_mode(settings)
        if mode is TelemetryMode.AZURE_MONITOR:
            _configure_azure_monitor(settings)
        elif mode is TelemetryMode.OTLP:
            _configure_otlp(settings)
        elif mode is TelemetryMode.LOCAL_FILE:
            _configure_local_file(settings)
        install_trace_context()
        _configured = mode
        return mode


def tracer(name: str = INSTRUMENTATION_NAME) -> Tracer:
    """A tracer from the configured provider (a no-op one before or without configuration)."""
    from opentelemetry import trace

    return trace.get_tracer(name)


def meter(name: str = INSTRUMENTATION_NAME) -> Meter:
    """A meter from the configured provider (a no-op one before or without configuration)."""
    from opentelemetry import metrics

    return metrics.get_meter(name)


def flush_telemetry(timeout_millis: int = 5000) -> bool:
    """Export what is buffered now (e.g. before a Functions worker may be frozen).

    Returns False if some provider did not finish in time; True when nothing is configured.
    """
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider

    done = True
    providers = (trace.get_tracer_provider(), metrics.get_meter_provider(), get_logger_provider())
    for provider in providers:
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            done = bool(force_flush(timeout_millis)) and done
    return done


def shutdown_telemetry(timeout_millis: int = 5000) -> None:
    """Flush what is buffered and shut the providers down (at process exit: last spans and
    metrics are exported, not lost). A no-op when nothing is configured."""
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider

    flush_telemetry(timeout_millis)
    providers = (trace.get_tracer_provider(), metrics.get_meter_provider(), get_logger_provider())
    for provider in providers:
        shutdown = getattr(provider, "shutdown", None)
        if shutdown is not None:
            shutdown()


def _resource(settings: Settings) -> Resource:
    """``OTEL_RESOURCE_ATTRIBUTES`` plus the service name (``OTEL_SERVICE_NAME`` is what
    ``settings.otel_service_name`` reads)."""
    from opentelemetry.sdk.resources import Resource

    return Resource.create({"service.name": settings.otel_service_name})


def _tracer_provider(settings: Settings) -> TracerProvider:
    """An SDK tracer provider (sampler from ``OTEL_TRACES_SAMPLER``) stamping task attributes."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    from shared.telemetry.processors import PresetSpanIds, TaskAttributes

    provider = TracerProvider(
        resource=_resource(settings), id_generator=PresetSpanIds(RandomIdGenerator())
    )
    provider.add_span_processor(TaskAttributes())
    return provider


def _configure_azure_monitor(settings: Settings) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string,
        resource=_resource(settings),
        logger_name="",  # the root logger: every module's logs, with their trace ids
        enable_live_metrics=False,
        sampling_ratio=settings.telemetry_sampling_ratio,
    )
    from opentelemetry import trace

    from shared.telemetry.processors import PresetSpanIds, TaskAttributes

    provider = trace.get_tracer_provider()
    provider.add_span_processor(TaskAttributes())  # type: ignore[attr-defined]
    provider.id_generator = PresetSpanIds(provider.id_generator)  # type: ignore[attr-defined]


def _configure_local_file(settings: Settings) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from shared.telemetry.local_file import JsonLinesSpanExporter

    assert settings.telemetry_spans_file is not None
    provider = _tracer_provider(settings)
    provider.add_span_processor(
        SimpleSpanProcessor(JsonLinesSpanExporter(settings.telemetry_spans_file))
    )
    trace.set_tracer_provider(provider)


def _configure_otlp(settings: Settings) -> None:
    from opentelemetry import metrics, trace
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint = str(settings.otel_exporter_otlp_endpoint).rstrip("/")
    resource = _resource(settings)
    tracer_provider = _tracer_provider(settings)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
    )
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"))
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"))
    )
    set_logger_provider(logger_provider)
    logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))
