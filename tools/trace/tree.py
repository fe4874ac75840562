"""A task's span tree with timings, for ``python -m tools.trace`` and the end of ``make demo``.

Reads the JSON-lines span file devhost writes when no exporter is configured
(``<DATA_DIR>/telemetry/spans.jsonl``, or ``TELEMETRY_SPANS_FILE``): the same spans operators see
in Application Insights. Every trace holding a span of the task is shown (the webhook's and the
approval's requests are traces of their own callers). Database spans are folded into one line
per parent unless ``--all``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from devhost.telemetry import SPANS_FILE

Span = dict[str, Any]


def read_spans(path: Path) -> Iterator[Span]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def task_traces(spans: Iterable[Span], task_id: str) -> dict[str, list[Span]]:
    """The spans of every trace that has a span of ``task_id``, by trace id (in file order)."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span["trace_id"]].append(span)
    return {
        trace: found
        for trace, found in by_trace.items()
        if any(s["attributes"].get("agent.task.id") == task_id for s in found)
    }


def render(spans: list[Span], out: TextIO, *, fold_database: bool = True) -> None:
    """One line per span, indented under its parent: offset from the trace's start, duration."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        parent = span["parent_id"] if span["parent_id"] in ids else None
        children[parent].append(span)
    for found in children.values():
        found.sort(key=lambda s: s["start_ns"])
    start = min(s["start_ns"] for s in spans)

    def line(depth: int, offset_ns: int, duration_ns: int, text: str) -> None:
        out.write(f"{offset_ns / 1e9:9.3f}s {duration_ns / 1e9:8.3f}s  {'  ' * depth}{text}\n")

    def walk(parent: str | None, depth: int) -> None:
        found = children.get(parent, [])
        database = [s for s in found if fold_database and s["name"].startswith("postgresql ")]
        for span in found:
            if span in database:
                if span is database[0]:  # one line, where the first of them started
                    total = sum(s["end_ns"] - s["start_ns"] for s in database)
                    text = f"postgresql: {len(database)} spans (summed)"
                    line(depth, span["start_ns"] - start, total, text)
                continue
            line(depth, span["start_ns"] - start, span["end_ns"] - span["start_ns"], _label(span))
            walk(span["span_id"], depth + 1)

    walk(None, 0)


def _label(span: Span) -> str:
    a = span["attributes"]
    details = [
        str(a[key])
        for key in (
            "http.response.status_code",
            "scm.status",
            "gen_ai.response.model",
            "agent.task.outcome",
        )
        if key in a
    ]
    if "gen_ai.usage.input_tokens" in a:
        details.append(f"tokens {a['gen_ai.usage.input_tokens']}+{a['gen_ai.usage.output_tokens']}")
    if span["status"] == "ERROR":
        details.append(f"ERROR {a.get('error.type', '')}".strip())
    return str(span["name"]) + (f"  [{', '.join(details)}]" if details else "")


def default_file() -> Path:
    from shared.config import load_settings

    settings = load_settings()
    return settings.telemetry_spans_file or settings.data_dir / SPANS_FILE


def show(task_id: str, path: Path, out: TextIO, *, fold_database: bool = True) -> int:
    """Print the task's traces; 1 (with a message) when there is none."""
    if not path.exists():
        out.write(f"no span file at {path} (devhost writes it when no exporter is configured)\n")
        return 1
    traces = task_traces(read_spans(path), task_id)
    if not traces:
        out.write(f"no spans of task {task_id} in {path}\n")
        return 1
    for trace_id, spans in sorted(traces.items(), key=lambda t: min(s["start_ns"] for s in t[1])):
        out.write(f"trace {trace_id} ({len(spans)} spans)\n")
        render(spans, out, fold_database=fold_database)
    return 0
