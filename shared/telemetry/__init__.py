"""OpenTelemetry for the app: configured once per process, exporters chosen by settings.

``configure_telemetry`` (``shared.telemetry.setup``) picks Azure Monitor, OTLP or nothing;
``tracer()`` and ``meter()`` hand out instruments; ``shared.telemetry.log_context`` puts the
current trace and span ids on every log record. Import the submodules: this package stays light.
"""
