"""The app's telemetry as devhost runs it: configured before the first request is served (so
each request's server span is recorded), flushed and shut down when devhost stops (SIGTERM
included), so the last spans and metrics of a run are exported, not lost.

With no exporter configured (``OTEL_EXPORTER_OTLP_ENDPOINT``, Application Insights), spans go to
``<DATA_DIR>/telemetry/spans.jsonl`` for ``python -m tools.trace TASK_ID``.
"""

from __future__ import annotations

from pathlib import Path

SPANS_FILE = Path("telemetry") / "spans.jsonl"


def configure_app_telemetry() -> str:
    """Configure the app's providers from its settings (the environment); the mode's name."""
    from shared.config import load_settings
    from shared.telemetry.setup import configure_telemetry

    settings = load_settings()
    if settings.telemetry_spans_file is None:
        settings = settings.model_copy(
            update={"telemetry_spans_file": settings.data_dir / SPANS_FILE}
        )
    return str(configure_telemetry(settings))


def shutdown_app_telemetry() -> None:
    from shared.telemetry.setup import shutdown_telemetry

    shutdown_telemetry()
