"""LLM calls as operators see them, per the OpenTelemetry GenAI semantic conventions: a CLIENT
span ``chat <model>`` with ``gen_ai.*`` attributes (never prompt or completion text), the
``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration`` histograms, and ours:
``agent.llm.cost`` (USD), ``agent.llm.circuit.open`` and ``agent.llm.budget.remaining``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.telemetry import metrics
from shared.telemetry.tracing import TENANT, client_span

if TYPE_CHECKING:
    from opentelemetry.trace import Span

#: Our provider kinds as the conventions' ``gen_ai.provider.name`` values.
PROVIDER_NAMES = {"azure-openai": "azure.ai.openai"}


def provider_name(kind: str) -> str:
    return PROVIDER_NAMES.get(kind, kind)


def server_address(endpoint: str) -> str:
    """The host of an adapter's endpoint label (``"<kind> <url>"``), else the label itself."""
    url = endpoint.split(" ", 1)[-1].split(" key=", 1)[0]
    return urlsplit(url).hostname or url


@dataclass
class LlmCallRecorder:
    """Filled in by the caller when the provider answered."""

    span: Span
    common: dict[str, Any]
    tenant: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def answered(
        self,
        *,
        model: str,
        input_tokens: int,
        output_tokens: int,
        finish_reason: str,
        cost_usd: Decimal,
    ) -> None:
        self.span.set_attributes(
            {
                "gen_ai.response.model": model,
                "gen_ai.usage.input_tokens": input_tokens,
                "gen_ai.usage.output_tokens": output_tokens,
                "gen_ai.response.finish_reasons": [finish_reason],
            }
        )
        usage = metrics.token_usage()
        usage.record(input_tokens, {**self.common, "gen_ai.token.type": "input"})
        usage.record(output_tokens, {**self.common, "gen_ai.token.type": "output"})
        metrics.llm_cost().add(
            float(cost_usd),
            {TENANT: self.tenant, "gen_ai.request.model": self.common["gen_ai.request.model"]},
        )


@contextmanager
def llm_call(tenant: str, kind: str, model: str, endpoint: str) -> Iterator[LlmCallRecorder]:
    """The span and duration of one chat call; an exception marks both with ``error.type``."""
    common = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider_name(kind),
        "gen_ai.request.model": model,
        "server.address": server_address(endpoint),
        TENANT: tenant,
    }
    started = time.perf_counter()
    outcome: dict[str, Any] = {}
    try:
        with client_span(f"chat {model}", common) as span:
            yield LlmCallRecorder(span, common, tenant)
    except Exception as exc:
        outcome["error.type"] = type(exc).__name__
        raise
    finally:
        metrics.llm_operation_duration().record(
            time.perf_counter() - started, {**common, **outcome}
        )


def circuit_state(endpoint: str, is_open: bool, tenant: str | None = None) -> None:
    """``agent.llm.circuit.open`` of one circuit: the endpoint's (no tenant) or a tenant's
    credential's on it."""
    attributes = {"server.address": server_address(endpoint)}
    if tenant is not None:
        attributes[TENANT] = tenant
    metrics.circuit_open().set(1 if is_open else 0, attributes)


def budget_left(tenant: str, tokens: int) -> None:
    """``agent.llm.budget.remaining``: tokens left in the tenant's daily budget."""
    metrics.budget_remaining().set(max(tokens, 0), {TENANT: tenant})
