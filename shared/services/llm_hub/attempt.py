"""One attempt of an LLM call, on one route: budget, circuit breaker, call, lineage.

The estimated tokens (prompt characters / 4 + ``max_tokens``) and their cost are reserved
against the tenant's daily budget first: over budget, the attempt is refused before anything is
sent (a budget refusal asks no circuit, so it never opens one). Then the circuits of the
credential and of the endpoint admit the call (or refuse it fast), the provider is called once,
the circuit the outcome speaks for learns it (see ``breaker``), the actual usage replaces the
reservation (zero when the call failed), and a lineage row is written whatever happened, with
the transcript sealed under the tenant's key when a prompt was sent.

Operators see each call through ``shared.telemetry.genai``: its GenAI span and metrics, the state
of the circuits it went through and the tenant's budget left after it.
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
    LlmAuthError,
    LlmBadResponse,
    LlmError,
    LlmRateLimited,
    LlmTimeout,
    LlmUnavailable,
)
from shared.domain.llm import Completion, CompletionRequest, ProviderKind, estimate_tokens
from shared.domain.llm_hub import HubResult, LlmCall, LlmRoute, TemplateRef
from shared.policies.secrets import redact
from shared.ports.keys import KeyProvider
from shared.ports.llm import LlmCallLog, LlmProvider, UsageLedger
from shared.services.llm_hub.breaker import CircuitBreaker, credential_circuit
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.transcripts import seal
from shared.telemetry import genai

log = logging.getLogger("shared.services.llm_hub")

#: Errors that say the endpoint is unhealthy for everyone (5xx, unreachable, timed out, garbage).
ENDPOINT_FAILURES = (LlmUnavailable, LlmTimeout, LlmBadResponse)
#: Errors that say only the caller's credential is refused (401, 403, 429).
CREDENTIAL_FAILURES = (LlmAuthError, LlmRateLimited)


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
        redaction_key: bytes,
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
            # What the provider received, plus the hub's own settings of the call (the output
            # limit it asked for reaches the provider under its wire name, or not at all).
            parameters={
                **provider.sent_parameters(request),
                "timeout_s": route.timeout_s,
                "edit_format": edit_format,
                "output_limit": request.max_tokens,
                # The registry version that answered, when the route named the registry.
                **({"registry_version": route.registry_version} if route.registry_version else {}),
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
            with genai.llm_call(tenant, kind, route.model, provider.endpoint) as observed:
                completion = self._call(tenant, provider, route, request)
                usage = {
                    "model": completion.model,
                    "input_tokens": completion.input_tokens,
                    "output_tokens": completion.output_tokens,
                    "cost_usd": self._prices.cost(
                        kind, completion.model, completion.input_tokens, completion.output_tokens
                    ),
                }
                observed.answered(
                    model=completion.model,
                    input_tokens=completion.input_tokens,
                    output_tokens=completion.output_tokens,
                    finish_reason=str(completion.finish_reason),
                    cost_usd=usage["cost_usd"],
                )
        except LlmError as exc:
            sent = not isinstance(exc, CircuitOpen)
            self._record(
                dataclasses.replace(
                    call,
                    outcome=exc.code,
                    error=redact(exc.message, key=redaction_key).text,
                    latency_ms=round((time.monotonic() - started) * 1000),
                    transcript=seal(
                        self._keys,
                        tenant,
                        call.id,
                        request.messages,
                        None,
                        redaction_key=redaction_key,
                    )
                    if sent
                    else None,
                )
            )
            raise
        finally:
            self._ledger.settle(tenant, reservation, **usage)
        today = self._ledger.today(tenant)
        genai.budget_left(tenant, today.token_budget - today.tokens)
        call = dataclasses.replace(
            call,
            outcome=completion.outcome,
            model_used=completion.model,
            model_version=completion.model_version,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cost_usd=usage["cost_usd"],
            latency_ms=completion.latency_ms,
            transcript=seal(
                self._keys,
                tenant,
                call.id,
                request.messages,
                completion.text,
                redaction_key=redaction_key,
                tool_calls=completion.tool_calls,
            ),
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
        self, tenant: str, provider: LlmProvider, route: LlmRoute, request: CompletionRequest
    ) -> Completion:
        """Through the credential's and the endpoint's circuits: admit, call once, record the
        outcome on the circuit it speaks for (an answer of any kind proves the endpoint up)."""
        endpoint = provider.endpoint
        credential = credential_circuit(endpoint, provider.credential)
        for circuit, owner in ((credential, tenant), (endpoint, None)):
            try:
                self._breaker.admit(circuit, probe_s=route.timeout_s)
            except CircuitOpen:
                genai.circuit_state(endpoint, True, owner)
                raise
        try:
            completion = provider.complete(request)
        except ENDPOINT_FAILURES:
            genai.circuit_state(endpoint, self._breaker.failed(endpoint))
            raise
        except CREDENTIAL_FAILURES:
            self._breaker.succeeded(endpoint)
            genai.circuit_state(endpoint, self._breaker.failed(credential), tenant)
            raise
        except LlmError:
            self._breaker.succeeded(endpoint)
            self._breaker.succeeded(credential)
            raise
        self._breaker.succeeded(endpoint)
        self._breaker.succeeded(credential)
        genai.circuit_state(endpoint, False)
        genai.circuit_state(endpoint, False, tenant)
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
