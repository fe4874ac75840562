"""The SDK's standard ``OTEL_*`` variables apply to the providers the app configures: resource
attributes, the sampler and the export intervals (a metric reaches the collector on the
interval, without any flush)."""

from __future__ import annotations

import textwrap

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.integration.telemetry.conftest import run_python

SCRIPT = textwrap.dedent(
    """
    import json, time
    from shared.config import Settings
    from shared.telemetry.metrics import tasks
    from shared.telemetry.setup import configure_telemetry, tracer

    configure_telemetry(Settings(otel_exporter_otlp_endpoint=ENDPOINT))
    with tracer().start_as_current_span("kept-or-dropped") as span:
        sampled = span.get_span_context().trace_flags.sampled
    tasks().add(1, {"agent.tenant": "acme", "agent.task.outcome": "completed"})
    time.sleep(1.5)  # OTEL_METRIC_EXPORT_INTERVAL=200 ms; OTEL_BSP_SCHEDULE_DELAY=100 ms
    print(json.dumps({"sampled": sampled}))
    """
)


def _run(collector, **env: str) -> dict:
    return run_python(f"ENDPOINT = {collector.url!r}\n{SCRIPT}", **env)


def _resources(bodies, request_type, field: str) -> list[dict[str, str]]:
    found = []
    for body in bodies:
        for item in getattr(request_type.FromString(body), field):
            found.append({a.key: a.value.string_value for a in item.resource.attributes})
    return found


def test_resource_attributes_service_name_and_export_interval_apply(collector) -> None:
    out = _run(
        collector,
        OTEL_SERVICE_NAME="agent-ops",
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment=staging,service.namespace=agents",
        OTEL_METRIC_EXPORT_INTERVAL="200",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    assert out["sampled"] is True
    metrics = collector.bodies("/v1/metrics")
    assert metrics, "no metric export within the interval"
    [resource, *_] = _resources(metrics, ExportMetricsServiceRequest, "resource_metrics")
    assert resource["service.name"] == "agent-ops"
    assert resource["deployment.environment"] == "staging"
    assert resource["service.namespace"] == "agents"
    traces = _resources(collector.bodies("/v1/traces"), ExportTraceServiceRequest, "resource_spans")
    assert traces and traces[0]["service.name"] == "agent-ops"


def test_the_sampler_variable_applies(collector) -> None:
    out = _run(collector, OTEL_TRACES_SAMPLER="always_off", OTEL_BSP_SCHEDULE_DELAY="100")
    assert out["sampled"] is False
    assert collector.bodies("/v1/traces") == []
