"""The app's instruments, by the names operators' queries and alerts use
(infra/pulumi/agent_infra/queries/*.kql): semantic-convention names where they exist
(``http.server.*``, ``gen_ai.client.*``), ``agent.*`` for ours.

Instruments are created on first use from the configured meter (a no-op before configuration),
so importing this module costs nothing.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from shared.telemetry.setup import meter

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, _Gauge

#: Bucket bounds (seconds) of the semantic conventions' duration histograms.
DURATION_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
#: Bounds for task-scale durations (seconds): minutes to a day of approval wait.
LONG_BOUNDS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400)
#: The semantic conventions' bounds for ``gen_ai.client.token.usage``.
TOKEN_BOUNDS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)


@cache
def http_server_duration() -> Histogram:
    return meter().create_histogram(
        "http.server.request.duration",
        unit="s",
        description="Duration of HTTP server requests.",
        explicit_bucket_boundaries_advisory=list(DURATION_BOUNDS),
    )


@cache
def webhooks() -> Counter:
    return meter().create_counter(
        "agent.webhooks", unit="{delivery}", description="Webhook deliveries by outcome."
    )


@cache
def tasks() -> Counter:
    return meter().create_counter(
        "agent.tasks", unit="{task}", description="Tasks finished, by outcome."
    )


@cache
def task_duration() -> Histogram:
    return meter().create_histogram(
        "agent.task.duration",
        unit="s",
        description="Webhook received to task finished.",
        explicit_bucket_boundaries_advisory=list(LONG_BOUNDS),
    )


@cache
def approval_wait() -> Histogram:
    return meter().create_histogram(
        "agent.approval.wait",
        unit="s",
        description="Approval requested to decision verified.",
        explicit_bucket_boundaries_advisory=list(LONG_BOUNDS),
    )


@cache
def token_usage() -> Histogram:
    return meter().create_histogram(
        "gen_ai.client.token.usage",
        unit="{token}",
        description="Number of input and output tokens used.",
        explicit_bucket_boundaries_advisory=list(TOKEN_BOUNDS),
    )


@cache
def llm_operation_duration() -> Histogram:
    return meter().create_histogram(
        "gen_ai.client.operation.duration",
        unit="s",
        description="GenAI operation duration.",
        explicit_bucket_boundaries_advisory=[0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
                                             2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
    )  # fmt: skip


@cache
def llm_cost() -> Counter:
    return meter().create_counter("agent.llm.cost", unit="USD", description="LLM spend.")


@cache
def circuit_open() -> _Gauge:
    return meter().create_gauge(
        "agent.llm.circuit.open", unit="1", description="1 while an LLM circuit is open, else 0."
    )


@cache
def budget_remaining() -> _Gauge:
    return meter().create_gauge(
        "agent.llm.budget.remaining",
        unit="{token}",
        description="Tokens left in the tenant's daily LLM budget.",
    )
