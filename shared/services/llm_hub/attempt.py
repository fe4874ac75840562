"""One attempt of an LLM call, on one route: budget, circuit breaker, call, lineage.

The estimated tokens (prompt characters / 4 + ``max_tokens``) and their cost are reserved
against the tenant's daily budget first: over budget, the attempt is refused before anything is
sent. Then the endpoint's circuit breaker admits the call (or refuses it fast), the provider is
called once, the breaker learns the outcome, the actual usage replaces the reservation (zero when
the call failed), and a lineage row is written whatever happened, with the transcript sealed
under the tenant's key when a prompt was sent.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from decimal import Decimal
from typing import Any

from shared.domain.errors import (
    BudgetExceeded,
    CircuitOpen,
    LlmBadResponse,
    LlmError,
    LlmRateLimited,
    LlmTimeout,
    LlmUnavailable,
)
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    HubResult,
    LlmCall,
    LlmRoute,
    ProviderKind,
    TemplateRef,
    estimate_tokens,
)
from shared.policies.secrets import redact
from shared.ports.keys import KeyProvider
from shared.ports.llm import LlmCallLog, LlmProvider, UsageLedger
from shared.services.llm_hub.breaker import CircuitBreaker
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.transcripts import seal

log = logging.getLogger("shared.services.llm_hub")

#: Errors that say the endpoint is unhealthy (they count towards opening its circuit).
ENDPOINT_FAILURES = (LlmUnavailable, LlmRateLimited, LlmTimeout, LlmBadResponse)


class AttemptRunner:
    def __init__(
        self,
        *,
        breaker: CircuitBreaker,
        ledger: UsageLedger,
        calls: LlmCallLog,
        keys: KeyProvider,
        prices: PriceTable,
    ) -> None:
        self._breaker = breaker
        self._ledger = ledger
        self._calls = calls
        self._keys = keys
        self._prices = prices

    def run(
        self,
        tenant: str,
        task_id: str | None,
        *,
        attempt: int,
        route: LlmRoute,
        provider: LlmProvider,
        template: TemplateRef,
        request: CompletionRequest,
        redactions: int,
        edit_format: str | None,
    ) -> HubResult:
        kind = str(provider.kind)
        call = LlmCall(
            id=str(uuid.uuid4()),
            tenant=tenant,
            task_id=task_id,
            attempt=attempt,
            provider=kind,
            endpoint=provider.endpoint,
            model=route.model,
            template=template,
            parameters={
                "temperature": request.temperature,
                "max_tokens": request.max_tokens,
                "stop": list(request.stop),
                "response_format": str(request.response_format),
                "timeout_s": route.timeout_s,
                "edit_format": edit_format,
            },
            outcome="pending",
            redactions=redactions,
            scripted=provider.kind is ProviderKind.SCRIPTED,
        )
        estimate = estimate_tokens(request.prompt_chars)
        try:
            reservation = self._ledger.reserve(
                tenant,
                task_id=task_id,
                provider=kind,
                model=route.model,
                tokens=estimate + request.max_tokens,
                cost_usd=self._prices.cost(kind, route.model, estimate, request.max_tokens),
            )
        except BudgetExceeded as exc:
            self._record(dataclasses.replace(call, outcome=exc.code, error=exc.message))
            raise
        usage: dict[str, Any] = {
            "model": route.model,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": Decimal(0),
        }
        started = time.monotonic()
        try:
            completion = self._call(provider, route, request)
            usage = {
                "model": completion.model,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "cost_usd": self._prices.cost(
                    kind, completion.model, completion.input_tokens, completion.output_tokens
                ),
            }
        except LlmError as exc:
            sent = not isinstance(exc, CircuitOpen)
            self._record(
                dataclasses.replace(
                    call,
                    outcome=exc.code,
                    error=redact(exc.message).text,
                    latency_ms=round((time.monotonic() - started) * 1000),
                    transcript=seal(self._keys, tenant, call.id, request.messages, None)
                    if sent
                    else None,
                )
            )
            raise
        finally:
            self._ledger.settle(tenant, reservation, **usage)
        call = dataclasses.replace(
            call,
            outcome=completion.outcome,
            model_used=completion.model,
            model_version=completion.model_version,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cost_usd=usage["cost_usd"],
            latency_ms=completion.latency_ms,
            transcript=seal(self._keys, tenant, call.id, request.messages, completion.text),
        )
        self._record(call)
        if call.scripted:
            log.warning(
                "tenant %s task %s: answered by the SCRIPTED provider (%s), not a live model",
                tenant,
                task_id,
                provider.endpoint,
            )
        return HubResult(
            completion=completion,
            route=route,
            lineage_id=call.id,
            scripted=call.scripted,
            redactions=call.redactions,
            template=template,
            cost_usd=call.cost_usd,
            edit_format=edit_format,
        )

    def _call(
        self, provider: LlmProvider, route: LlmRoute, request: CompletionRequest
    ) -> Completion:
        """Through the endpoint's circuit breaker: admit, call once, record the outcome."""
        self._breaker.admit(provider.endpoint, probe_s=route.timeout_s)
        try:
            completion = provider.complete(request)
        except ENDPOINT_FAILURES:
            self._breaker.failed(provider.endpoint)
            raise
        except LlmError:
            self._breaker.succeeded(provider.endpoint)  # it answered: the endpoint is up
            raise
        self._breaker.succeeded(provider.endpoint)
        return completion

    def _record(self, call: LlmCall) -> None:
        self._calls.record(call)
        log.info(
            "llm call %s tenant=%s task=%s attempt=%d %s/%s outcome=%s tokens=%d+%d "
            "cost_usd=%s latency_ms=%d redactions=%d%s",
            call.id,
            call.tenant,
            call.task_id,
            call.attempt,
            call.provider,
            call.model,
            call.outcome,
            call.input_tokens,
            call.output_tokens,
            call.cost_usd,
            call.latency_ms,
            call.redactions,
            " SCRIPTED" if call.scripted else "",
        )
