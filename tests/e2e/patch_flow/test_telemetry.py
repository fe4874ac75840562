"""One task end to end on devhost (a child process) exporting OTLP/HTTP to a receiver in this
process: one trace from the caller's ``traceparent`` through the webhook, intake, orchestration
and activities to the SCM, LLM and database calls; GenAI attributes; the tenant on every span;
the metrics operators' queries read, with units and attributes; no span twice although the
orchestrator replays; no credential or prompt text in any attribute. The metrics' last export
happens when devhost stops (SIGTERM), so this also shows that shutdown flushes."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.e2e.patch_flow.conftest import AUDIENCE, REPO_ROOT
from tests.integration.telemetry.conftest import collector  # noqa: F401 (fixture)
from tests.support.devhost_process import DevhostProcess
from tests.support.devhost_task import approve, comment_until_approval, completed, wait_for
from tools.demo.scenario import COMMAND, ISSUE_BODY, REPOSITORY, prepare_tenant

ACTIVITIES = [
    "authorise", "start_task", "gather_context", "generate_patch", "validate_patch",
    "assess_risk", "request_approval", "verify_approval", "open_pull_request",
    "comment_result", "finish_task",
]  # fmt: skip


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def _attributes(attributes: Any) -> dict[str, Any]:
    return {a.key: _value(a.value) for a in attributes}


def _spans(bodies: list[bytes]) -> list[dict[str, Any]]:
    spans = []
    for body in bodies:
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    spans.append(
                        {
                            "name": span.name,
                            "trace": span.trace_id.hex(),
                            "id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "kind": span.kind,
                            "attributes": _attributes(span.attributes),
                        }
                    )
    return spans


def _metrics(bodies: list[bytes]) -> dict[str, dict[str, Any]]:
    """name -> {"unit", "type", "points": [attributes of each data point]}."""
    found: dict[str, dict[str, Any]] = {}
    for body in bodies:
        for resource in ExportMetricsServiceRequest.FromString(body).resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    kind = metric.WhichOneof("data")
                    entry = found.setdefault(
                        metric.name, {"unit": metric.unit, "type": kind, "points": []}
                    )
                    for point in getattr(metric, kind).data_points:
                        entry["points"].append(_attributes(point.attributes))
    return found


def _run_one_task(app, app_env, database_url, issuer, tmp_path, collector_url, caller):
    tenant = prepare_tenant(
        app, f"otel-{secrets.token_hex(3)}", llm_routes=[{"provider": "scripted", "model": "demo"}]
    )
    devhost = DevhostProcess(
        REPO_ROOT,
        database_url,
        f"otel_{secrets.token_hex(3)}",
        tmp_path / "devhost.log",
        settings={
            **app_env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector_url,
            "OTEL_SERVICE_NAME": "agent-e2e",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        },
    )
    devhost.start()
    try:
        task_id = comment_until_approval(devhost.base, tenant, {"traceparent": caller})
        token = approve(devhost.base, tenant.slug, tenant.directory_id, task_id, issuer, AUDIENCE)
        done = wait_for(devhost.base, task_id, completed)
        assert done["output"]["outcome"] == "completed"
    finally:
        devhost.stop()  # SIGTERM: devhost flushes and shuts its providers down
    return tenant, task_id, token


def test_one_task_is_one_trace_with_genai_spans_tenant_attributes_and_metrics(
    app,
    app_env,
    database_url,
    issuer,
    tmp_path,
    collector,  # noqa: F811
):
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    tenant, task_id, token = _run_one_task(
        app,
        app_env,
        database_url,
        issuer,
        tmp_path,
        collector.url,
        f"00-{trace_id}-{caller_span}-01",
    )
    every = _spans(collector.bodies("/v1/traces"))
    spans = [s for s in every if s["trace"] == trace_id]
    by_id = {s["id"]: s for s in spans}
    names = Counter(s["name"] for s in spans)

    # The caller's traceparent is honoured: the webhook's server span is the caller's child.
    [server] = [s for s in spans if s["name"] == "POST /api/webhooks/{provider}/{tenant}"]
    assert server["parent"] == caller_span
    assert server["attributes"]["http.response.status_code"] == 202
    [intake] = [s for s in spans if s["name"] == "intake"]
    assert intake["parent"] == server["id"]
    [orchestration] = [s for s in spans if s["name"] == "orchestration patch_flow"]
    assert orchestration["parent"] == intake["id"]
    assert orchestration["attributes"]["agent.task.outcome"] == "completed"

    # One span per activity, each once although the orchestrator replayed after every step,
    # all children of the orchestration's span.
    activities = [s for s in spans if s["name"].startswith("activity ")]
    assert sorted(s["name"] for s in activities) == sorted(f"activity {a}" for a in ACTIVITIES)
    assert {s["parent"] for s in activities} == {orchestration["id"]}
    assert len(by_id) == len(spans), "a span was exported twice"
    assert all(n == 1 for name, n in names.items() if not name.startswith(("scm ", "postgresql")))

    def under(span: dict[str, Any], ancestor: dict[str, Any]) -> bool:
        while span["parent"] in by_id:
            span = by_id[span["parent"]]
            if span["id"] == ancestor["id"]:
                return True
        return False

    # LLM: GenAI semantic conventions, under the generate_patch activity.
    [generate] = [s for s in activities if s["name"] == "activity generate_patch"]
    [chat] = [s for s in spans if s["attributes"].get("gen_ai.operation.name") == "chat"]
    assert under(chat, generate) and chat["name"] == "chat demo"
    genai = chat["attributes"]
    assert genai["gen_ai.provider.name"] == "scripted"
    assert genai["gen_ai.request.model"] == "demo"
    assert genai["gen_ai.response.model"]
    assert genai["gen_ai.usage.input_tokens"] > 0 and genai["gen_ai.usage.output_tokens"] > 0
    assert genai["gen_ai.response.finish_reasons"] == ["stop"]

    # SCM: client spans with provider, operation, repository and status, inside activities.
    scm = [s for s in spans if s["name"].startswith("scm ")]
    operations = {s["attributes"]["scm.operation"] for s in scm}
    assert {"pull_requests.open_pull_request", "comments.upsert_comment"} <= operations
    for span in scm:
        assert span["attributes"]["scm.provider"] == "local_git"
        assert span["attributes"]["scm.repository"] == REPOSITORY
        assert span["attributes"]["scm.status"] == "ok"
        assert any(under(span, a) for a in activities)

    # Database spans, in the intake and in the activities.
    database = [s for s in spans if s["name"].startswith("postgresql ")]
    assert any(under(s, intake) for s in database)
    assert any(under(s, generate) for s in database)

    # The tenant on every span of the task's trace; the task id once it exists.
    assert all(s["attributes"].get("agent.tenant") == tenant.slug for s in spans)
    assert all(
        s["attributes"].get("agent.task.id") == task_id
        for s in spans
        if s is server or s is intake or s is orchestration or under(s, orchestration)
    )

    # No credential or prompt text anywhere in any span attribute.
    texts = json.dumps([s["attributes"] for s in every])
    for secret in (tenant.webhook_secret, token, COMMAND, ISSUE_BODY, "def average"):
        assert secret not in texts

    metrics = _metrics(collector.bodies("/v1/metrics"))

    def points(name: str, unit: str, kind: str) -> list[dict[str, Any]]:
        assert name in metrics, sorted(metrics)
        assert (metrics[name]["unit"], metrics[name]["type"]) == (unit, kind), metrics[name]
        return [p for p in metrics[name]["points"] if p.get("agent.tenant", tenant.slug)]

    ours = {"agent.tenant": tenant.slug}
    http_points = points("http.server.request.duration", "s", "histogram")
    assert {
        "http.route": "/api/webhooks/{provider}/{tenant}",
        "http.response.status_code": 202,
        "http.request.method": "POST",
    } in http_points
    webhooks = points("agent.webhooks", "{delivery}", "sum")
    assert {"scm.provider": "github", "agent.webhook.outcome": "accepted"} in webhooks
    tasks = points("agent.tasks", "{task}", "sum")
    assert {
        **ours,
        "agent.task.outcome": "completed",
        "scm.provider": "github",
        "gen_ai.provider.name": "scripted",
    } in tasks
    assert ours in points("agent.task.duration", "s", "histogram")
    assert ours in points("agent.approval.wait", "s", "histogram")
    model = {
        **ours,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "scripted",
        "gen_ai.request.model": "demo",
    }
    usage = points("gen_ai.client.token.usage", "{token}", "histogram")
    for kind in ("input", "output"):
        assert any(p.items() >= {**model, "gen_ai.token.type": kind}.items() for p in usage)
    durations = points("gen_ai.client.operation.duration", "s", "histogram")
    assert any(p.items() >= model.items() for p in durations)
    assert {**ours, "gen_ai.request.model": "demo"} in points("agent.llm.cost", "USD", "sum")
    circuits = points("agent.llm.circuit.open", "1", "gauge")
    assert any("server.address" in p and "agent.tenant" not in p for p in circuits)
    assert any(p.get("agent.tenant") == tenant.slug for p in circuits)
    assert ours in points("agent.llm.budget.remaining", "{token}", "gauge")
    pending = points("agent.durable.pending", "{message}", "gauge")
    for queue in ("orchestration", "entity", "activity"):
        assert {"durable.queue": queue} in pending
    assert {} in points("agent.durable.oldest_pending_age", "s", "gauge")
    metric_texts = json.dumps([m["points"] for m in metrics.values()])
    assert tenant.webhook_secret not in metric_texts and token not in metric_texts
