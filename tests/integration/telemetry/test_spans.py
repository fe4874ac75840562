"""The span helpers in a fresh interpreter with an in-memory exporter: SCM failures, the
orchestration span's preset id, and what an exception leaves on a span (its type, never its
message: messages can quote a provider's answer or a repository's text)."""

from __future__ import annotations

import textwrap

from tests.integration.telemetry.conftest import run_python

SCRIPT = textwrap.dedent(
    """
    import json
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from shared.adapters.scm.traced import traced_scm
    from shared.config import Settings
    from shared.domain.errors import ScmNotFound
    from shared.domain.scm import ScmConnection
    from shared.domain.task import Provider
    from shared.ports.scm.fake import FakeScm
    from shared.telemetry import setup
    from shared.telemetry.tracing import (
        activity_span, emit_orchestration_span, intake_span, orchestration_carrier,
    )

    provider = setup._tracer_provider(Settings())
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    connection = ScmConnection("acme", Provider.GITHUB, "octo/calc", token_secret="t")
    scm = traced_scm(FakeScm("acme").as_scm(), connection)
    host = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"  # the host's request, as on Azure
    with intake_span("github", "acme", host) as delivery:
        carrier = orchestration_carrier()
        delivery.outcome, delivery.task_id = "accepted", "task-1"
    with activity_span("gather_context", "acme", "task-1", carrier):
        scm.repository.default_branch("acme")
        try:
            scm.repository.read_file("acme", "main", "SECRET-PATH.txt")
        except ScmNotFound:
            pass
    emit_orchestration_span("patch_flow", carrier, "completed", "acme", "task-1")
    spans = [
        {
            "name": s.name,
            "id": format(s.context.span_id, "016x"),
            "parent": format(s.parent.span_id, "016x") if s.parent else None,
            "trace": format(s.context.trace_id, "032x"),
            "status": s.status.status_code.name,
            "attributes": dict(s.attributes),
            "events": [e.name for e in s.events],
        }
        for s in exporter.get_finished_spans()
    ]
    print(json.dumps({"carrier": carrier, "spans": spans}))
    """
)


def test_scm_failures_orchestration_ids_and_exception_text() -> None:
    out = run_python(SCRIPT)
    spans = {s["name"]: s for s in out["spans"]}
    carrier = out["carrier"]
    intake, orchestration = spans["intake"], spans["orchestration patch_flow"]
    activity = spans["activity gather_context"]

    # The orchestration span has the id its activities were given as parent, under the intake.
    assert carrier["traceparent"].split("-")[2] == orchestration["id"] == activity["parent"]
    assert orchestration["parent"] == intake["id"] == carrier["parent"]
    # With no server span current, the invocation's trace context is the intake's parent.
    assert intake["parent"] == "cd" * 8
    assert {s["trace"] for s in out["spans"]} == {"ab" * 16}
    assert intake["attributes"]["agent.task.id"] == "task-1"

    ok, failed = spans["scm repository.default_branch"], spans["scm repository.read_file"]
    assert ok["attributes"]["scm.status"] == "ok" and ok["status"] == "UNSET"
    assert failed["attributes"]["scm.status"] == "scm-not-found"
    assert failed["attributes"]["error.type"] == "ScmNotFound"
    assert failed["status"] == "ERROR" and failed["events"] == []
    assert "SECRET-PATH" not in str(out["spans"])
    for span in out["spans"]:
        assert span["attributes"]["agent.tenant"] == "acme"
