"""The end of a task, seen by operators: its orchestration span, ``agent.tasks`` (by tenant,
outcome, SCM provider and the LLM provider that answered) and ``agent.task.duration`` (webhook
received → task finished)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.telemetry.genai import provider_name
from shared.telemetry.metrics import approval_wait, task_duration, tasks
from shared.telemetry.tracing import TENANT, emit_orchestration_span


def task_finished(
    flow: str,
    task: Mapping[str, Any],
    outcome: str,
    carrier: Mapping[str, str] | None,
    llm_provider: str | None = None,
) -> None:
    """Called once per task execution, by its last activity, after the outcome is recorded."""
    tenant = str(task["tenant"])
    emit_orchestration_span(flow, carrier, outcome, tenant, str(task["id"]))
    attributes = {
        TENANT: tenant,
        "agent.task.outcome": outcome,
        "scm.provider": str(task["provider"]),
    }
    if llm_provider:  # none when the task ended before a patch was generated
        attributes["gen_ai.provider.name"] = provider_name(llm_provider)
    tasks().add(1, attributes)
    received = datetime.fromisoformat(str(task["received_at"]))
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    elapsed = (datetime.now(UTC) - received).total_seconds()
    task_duration().record(max(elapsed, 0.0), {TENANT: tenant})


def approval_waited(tenant: str, seconds: float | None) -> None:
    """``agent.approval.wait``: approval requested → decision verified (None: not verified)."""
    if seconds is not None:
        approval_wait().record(seconds, {TENANT: tenant})
