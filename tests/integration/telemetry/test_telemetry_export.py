"""Spans, metrics and logs reach the exporter the settings choose, with one trace id throughout."""

from __future__ import annotations

import json
import textwrap

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.integration.telemetry.conftest import run_python

WORKLOAD = textwrap.dedent(
    """
    import io, json, logging
    from shared.config import Settings
    from shared.telemetry.log_context import TRACE_LOG_FORMAT
    from shared.telemetry.setup import configure_telemetry, flush_telemetry, meter, tracer

    settings = Settings(otel_service_name="agent-under-test", **SETTINGS)
    mode = configure_telemetry(settings)
    again = configure_telemetry(Settings())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(TRACE_LOG_FORMAT))
    log = logging.getLogger("agent.work")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    meter().create_counter("agent.tasks").add(1, {"tenant": "acme"})
    with tracer().start_as_current_span("patch-flow") as span:
        log.info("generating a patch")
        trace_id = format(span.get_span_context().trace_id, "032x")
    flushed = flush_telemetry(30_000)  # generous: the machine may be loaded
    print(json.dumps({"mode": str(mode), "again": str(again), "trace_id": trace_id,
                      "log": stream.getvalue(), "flushed": flushed}))
    """
)


def _script(**settings: str) -> str:
    return f"SETTINGS = {settings!r}\n{WORKLOAD}"


def _resource_attributes(resource) -> dict[str, str]:
    return {a.key: a.value.string_value for a in resource.attributes}


def test_otlp_mode_exports_spans_and_logs_with_the_trace_id(collector, tmp_path) -> None:
    out = run_python(_script(otel_exporter_otlp_endpoint=collector.url), TMPDIR=str(tmp_path))
    assert (out["mode"], out["again"], out["flushed"]) == ("otlp", "otlp", True)
    assert f"trace_id={out['trace_id']}" in out["log"]

    spans = []
    for body in collector.bodies("/v1/traces"):
        for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
            service = _resource_attributes(resource_spans.resource)["service.name"]
            spans += [(service, s) for scope in resource_spans.scope_spans for s in scope.spans]
    [(service, span)] = [(svc, s) for svc, s in spans if s.name == "patch-flow"]
    assert service == "agent-under-test"
    assert span.trace_id.hex() == out["trace_id"]

    records = [
        record
        for body in collector.bodies("/v1/logs")
        for resource_logs in ExportLogsServiceRequest.FromString(body).resource_logs
        for scope in resource_logs.scope_logs
        for record in scope.log_records
    ]
    [record] = [r for r in records if r.body.string_value == "generating a patch"]
    assert record.trace_id.hex() == out["trace_id"]
    assert collector.bodies("/v1/metrics")


def test_azure_monitor_mode_sends_the_span_to_application_insights(collector, tmp_path) -> None:
    connection_string = (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        f"IngestionEndpoint={collector.url}/"
    )
    out = run_python(
        _script(applicationinsights_connection_string=connection_string),
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",  # no calls to Microsoft's endpoint
        OTEL_EXPERIMENTAL_RESOURCE_DETECTORS="azure_app_service",  # no IMDS probe off this host
        TMPDIR=str(tmp_path),  # the exporter's offline storage
    )
    assert (out["mode"], out["again"], out["flushed"]) == ("azure-monitor", "azure-monitor", True)
    assert f"trace_id={out['trace_id']}" in out["log"]
    envelopes = [
        envelope for body in collector.bodies("/v2.1/track") for envelope in json.loads(body)
    ]
    [span] = [
        e
        for e in envelopes
        if e["data"]["baseType"] in ("RequestData", "RemoteDependencyData")
        and e["data"]["baseData"]["name"] == "patch-flow"
    ]
    assert span["tags"]["ai.operation.id"] == out["trace_id"]
    assert span["tags"]["ai.cloud.role"] == "agent-under-test"
    [log] = [
        e
        for e in envelopes
        if e["data"]["baseType"] == "MessageData"
        and e["data"]["baseData"]["message"] == "generating a patch"
    ]
    assert log["tags"]["ai.operation.id"] == out["trace_id"]


def test_without_exporters_the_api_is_a_no_op_and_logs_still_carry_ids(collector, tmp_path) -> None:
    out = run_python(_script(), TMPDIR=str(tmp_path))
    assert (out["mode"], out["again"]) == ("none", "none")
    assert out["trace_id"] == "0" * 32  # a non-recording span: nothing is traced
    assert f"trace_id={'0' * 32} span_id={'0' * 16}" in out["log"]
    assert collector.received == []
