"""``python -m tools.trace``: the spans devhost writes locally, shown as the task's tree."""

from __future__ import annotations

import io

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, set_span_in_context

from shared.telemetry.local_file import JsonLinesSpanExporter
from tools.trace.__main__ import main
from tools.trace.tree import show


def _write_task(path, task_id: str) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        "POST /api/webhooks/{provider}/{tenant}",
        kind=SpanKind.SERVER,
        attributes={"agent.task.id": task_id, "http.response.status_code": 202},
    ) as server:
        with tracer.start_as_current_span("postgresql connection"):
            pass
        with tracer.start_as_current_span("postgresql connection"):
            pass
    with (
        tracer.start_as_current_span(
            "activity generate_patch",
            context=set_span_in_context(server),
            attributes={"agent.task.id": task_id},
        ),
        tracer.start_as_current_span(
            "chat demo",
            attributes={"gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 30},
        ),
    ):
        pass
    with tracer.start_as_current_span("GET /api/health"):  # another trace, no task
        pass


def test_the_tree_shows_the_task_spans_nested_with_database_spans_folded(tmp_path) -> None:
    path = tmp_path / "spans.jsonl"
    _write_task(path, "task-1")
    out = io.StringIO()
    assert show("task-1", path, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("trace ") and "(5 spans)" in lines[0]
    text = [line.split("s  ", 2)[-1] for line in lines[1:]]
    assert text == [
        "POST /api/webhooks/{provider}/{tenant}  [202]",
        "  postgresql: 2 spans (summed)",
        "  activity generate_patch",
        "    chat demo  [tokens 12+30]",
    ]
    assert "health" not in out.getvalue()


def test_every_database_span_is_shown_with_all(tmp_path, capsys) -> None:
    path = tmp_path / "spans.jsonl"
    _write_task(path, "task-1")
    assert main(["task-1", "--file", str(path), "--all"]) == 0
    assert capsys.readouterr().out.count("postgresql connection") == 2


def test_an_unknown_task_or_missing_file_says_so(tmp_path) -> None:
    path = tmp_path / "spans.jsonl"
    out = io.StringIO()
    assert show("task-1", path, out) == 1 and "no span file" in out.getvalue()
    _write_task(path, "task-1")
    out = io.StringIO()
    assert show("task-2", path, out) == 1 and "no spans of task task-2" in out.getvalue()
