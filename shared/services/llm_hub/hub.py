"""The LLM hub: the one way the platform calls a model.

For each of the tenant's routes in order, one attempt: render the versioned template, redact
secrets from the prompt (the same detectors as the patch policy; placeholders keyed with the
tenant's own redaction key from the ``KeyProvider``), reserve the estimated tokens and cost
against the tenant's daily budget (refused before anything is sent), pass the circuit breakers
of the credential and of the endpoint, call the provider once. Unavailable, rate-limited and
timed-out attempts (an open circuit included) fall through to the next route; any other error
ends the call. Every attempt leaves a lineage row (with its transcript sealed under the tenant's
key) and an audit event, and its actual usage replaces the reservation.

A result from the scripted provider is always flagged (``scripted``), in lineage and in logs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from shared.domain.errors import (
    ConfigurationError,
    InvalidInput,
    LlmBadRequest,
    LlmError,
    LlmRateLimited,
    LlmTimeout,
    LlmUnavailable,
    NotFound,
    TenantDisabled,
)
from shared.domain.llm import CompletionRequest, FinishReason, Message, ProviderKind, ResponseFormat
from shared.domain.llm_hub import DailyUsage, HubResult, LlmRoute
from shared.domain.llm_tools import ToolSpec
from shared.domain.models import card_path
from shared.policies.secrets import REDACTION_KEY_PURPOSE, redact
from shared.ports.keys import KeyProvider
from shared.ports.llm import LlmCallLog, LlmProviders, UsageLedger
from shared.ports.tenants import TenantDirectory
from shared.services.llm_hub.attempt import AttemptRunner
from shared.services.llm_hub.breaker import CircuitBreaker
from shared.services.llm_hub.patch_prompts import PATCH_TEMPLATE, patch_variables
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.llm_hub.transcripts import Transcript, unseal
from shared.services.models.routing import ModelRoutes

#: The output limits of a patch generation: the first, then the larger one an answer cut short
#: by the first is asked again with.
PATCH_OUTPUT_LIMITS = (4096, 16384)

#: Errors after which the next route is tried (an open circuit is an ``LlmUnavailable``).
FALL_THROUGH = (LlmUnavailable, LlmRateLimited, LlmTimeout)


def redact_messages(messages: tuple[Message, ...], key: bytes) -> tuple[tuple[Message, ...], int]:
    """The messages with every secret replaced by its stable placeholder under ``key``, and how
    many."""
    results = [redact(m.content, key=key) for m in messages]
    redacted = tuple(
        dataclasses.replace(m, content=r.text) for m, r in zip(messages, results, strict=True)
    )
    return redacted, sum(r.count for r in results)


def _template_name(template: str, edit_format: str | None) -> str:
    if "{edit_format}" not in template:
        return template
    if edit_format is None:
        raise InvalidInput(f"template {template!r} needs an edit format (route or argument)")
    return template.replace("{edit_format}", edit_format.replace("-", "_"))


class LlmHub:
    """Calls models for tenants: see the module docstring for what one call does. Safe to share
    between threads; every record it keeps is in its stores, so instances agree."""

    def __init__(
        self,
        *,
        providers: LlmProviders,
        tenants: TenantDirectory,
        breaker: CircuitBreaker,
        ledger: UsageLedger,
        calls: LlmCallLog,
        keys: KeyProvider,
        prices: PriceTable | None = None,
        prompts: PromptLibrary | None = None,
        models: ModelRoutes | None = None,
    ) -> None:
        self._providers = providers
        self._tenants = tenants
        self._ledger = ledger
        self._calls = calls
        self._keys = keys
        self._prompts = prompts or PromptLibrary()
        self._models = models
        self._attempts = AttemptRunner(
            breaker=breaker, ledger=ledger, calls=calls, keys=keys, prices=prices or PriceTable()
        )

    # --- routes ---------------------------------------------------------------------------
    def _route(self, tenant: str, route: LlmRoute | Mapping[str, Any] | str) -> LlmRoute:
        """A route as given, or the registry version a ``models:/...`` reference names."""
        if isinstance(route, LlmRoute):
            return route
        if isinstance(route, str):
            if self._models is None:
                raise ConfigurationError(f"route {route!r} needs the model registry")
            return self._models.route(tenant, route)
        return LlmRoute.from_dict(route)

    def routes_for(
        self, tenant: str, routes: Sequence[LlmRoute | Mapping[str, Any] | str] | None = None
    ) -> tuple[LlmRoute, ...]:
        """``routes`` when given and not empty, else the tenant's ``settings["llm_routes"]``,
        else the platform's defaults. A route may be a registry reference
        (``models:/patch-generator@champion``), resolved for the tenant. Raises ``InvalidInput``
        for a malformed route and the tenant's status errors (a disabled tenant makes no
        calls)."""
        record = self._tenants.get(tenant)
        if not record.active:
            raise TenantDisabled(f"tenant {tenant!r} is disabled")
        chosen = routes or record.settings.get("llm_routes") or ()
        if not isinstance(chosen, Sequence) or isinstance(chosen, str):
            raise InvalidInput("llm_routes must be a list", code="invalid-llm-route")
        parsed = tuple(self._route(tenant, r) for r in chosen)
        resolved = parsed or self._providers.default_routes()
        if not resolved:
            raise ConfigurationError(f"no LLM route for tenant {tenant!r}")
        return resolved

    def is_scripted(
        self, tenant: str, routes: Sequence[LlmRoute | Mapping[str, Any] | str] | None = None
    ) -> bool:
        """Whether a call for ``tenant`` may be answered by the scripted provider."""
        return any(r.provider is ProviderKind.SCRIPTED for r in self.routes_for(tenant, routes))

    # --- calls ----------------------------------------------------------------------------
    def complete(
        self,
        tenant: str,
        task_id: str | None,
        template: str,
        variables: Mapping[str, object],
        routes: Sequence[LlmRoute | Mapping[str, Any] | str] | None = None,
        *,
        edit_format: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 4096,
        stop: Sequence[str] = (),
        response_format: ResponseFormat = ResponseFormat.TEXT,
        history: Sequence[Message] = (),
        tools: Sequence[ToolSpec] = (),
    ) -> HubResult:
        """Fill ``template`` (``name`` or ``name.vN``; ``{edit_format}`` in it becomes the route's
        edit format, else ``edit_format``) with ``variables`` and get a completion.

        Raises ``BudgetExceeded`` (nothing sent) and the ``LlmAuthError``, ``LlmBadRequest``
        or ``LlmBadResponse`` of a route at once, without trying the next one. When every
        route falls through, a single route's own error is raised, else ``LlmUnavailable``
        (code ``llm-routes-exhausted``) naming each route's failure.
        """
        chain = self.routes_for(tenant, routes)
        redaction_key = self.redaction_key(tenant)
        failures: list[str] = []
        last: LlmError | None = None
        for attempt, route in enumerate(chain, start=1):
            fmt = route.edit_format or edit_format
            name = _template_name(template, fmt)
            # A registry version pins its template's version: use it when it is this template.
            pinned = route.prompt if route.prompt and route.prompt.split(".v")[0] == name else None
            prompt = self._prompts.get(pinned or name)
            rendered = (*prompt.render(variables), *history)
            messages, redactions = redact_messages(rendered, redaction_key)
            request = CompletionRequest(
                messages=messages,
                model=route.model,
                temperature=temperature,
                max_tokens=max_tokens,
                stop=tuple(stop),
                response_format=response_format,
                template=prompt.ref.name,
                tools=tuple(tools),
            )
            provider = self._providers.for_route(tenant, route)
            try:
                result = self._attempts.run(
                    tenant,
                    task_id,
                    attempt=attempt,
                    route=route,
                    provider=provider,
                    template=prompt.ref,
                    request=request,
                    redactions=redactions,
                    redaction_key=redaction_key,
                    edit_format=fmt,
                )
            except FALL_THROUGH as exc:
                failures.append(f"{route.label}: {exc.code}")
                last = exc
                continue
            outcome = f"{route.label}: {result.completion.outcome}"
            return dataclasses.replace(result, attempts=(*failures, outcome))
        assert last is not None  # the chain is never empty
        if len(chain) == 1:
            raise last
        raise LlmUnavailable(
            f"every LLM route failed ({'; '.join(failures)})", code="llm-routes-exhausted"
        ) from last

    def redaction_key(self, tenant: str) -> bytes:
        """The tenant's key for redaction placeholders: what the model sees for a secret
        cannot be tested against guesses without it, and differs between tenants."""
        return self._keys.derive_key(tenant, REDACTION_KEY_PURPOSE)

    def generate_patch(
        self,
        *,
        tenant: str,
        task_id: str,
        edit_format: str,
        routes: Sequence[LlmRoute | Mapping[str, Any] | str] | None,
        variables: Mapping[str, Any],
        history: Sequence[Message] = (),
        tools: Sequence[ToolSpec] = (),
    ) -> dict[str, Any]:
        """The patch flow's call: ``patch_<format>`` filled with the task, its context files
        (``[{"path", "text"}]``) and the previous attempt's feedback. Returns the JSON-able
        ``{"answer", "format", "llm"}``, ``format`` being the edit format asked for.

        An answer cut short by the output limit is asked again with the next, larger limit of
        ``PATCH_OUTPUT_LIMITS``; ``llm["attempts"]`` lists every call and its outcome
        (``output-truncated`` for a cut-short one, as in its lineage row). When the last limit
        (or a model refusing a larger one) still cuts it short, the answer comes back with
        ``llm["finish_reason"] == "length"``: the flow must not apply it (see
        ``patch_flow.validation``) and asks for a narrower edit instead.

        ``tools`` are offered to the model and ``history`` (its earlier tool calls and their
        results, this attempt) follows the prompt; ``llm["tool_calls"]`` lists the calls it
        asks for now (empty when it answered with an edit).
        """
        tried: list[str] = []
        result: HubResult | None = None
        for max_tokens in PATCH_OUTPUT_LIMITS:
            try:
                result = self.complete(
                    tenant,
                    task_id,
                    PATCH_TEMPLATE,
                    patch_variables(variables),
                    routes,
                    edit_format=edit_format,
                    max_tokens=max_tokens,
                    history=history,
                    tools=tools,
                )
            except LlmBadRequest as exc:
                if result is None:
                    raise
                tried.append(f"max_tokens {max_tokens}: {exc.code}")
                break
            tried.extend(f"{entry} (max_tokens {max_tokens})" for entry in result.attempts)
            if result.completion.finish_reason is not FinishReason.LENGTH:
                break
        assert result is not None
        summary = dataclasses.replace(result, attempts=tuple(tried)).to_dict()
        answer = summary.pop("text")
        summary["model_card"] = card_path(result.route.registry_version)  # lineage links it
        return {"answer": answer, "format": result.edit_format, "llm": summary}

    def transcript(self, tenant: str, lineage_id: str) -> Transcript:
        """The decrypted transcript of a call (``NotFound`` when it has none)."""
        call = self._calls.get(tenant, lineage_id)
        if call.transcript is None:
            raise NotFound(f"LLM call {lineage_id} has no transcript")
        return unseal(self._keys, tenant, lineage_id, call.transcript)

    def usage_today(self, tenant: str) -> DailyUsage:
        return self._ledger.today(tenant)
