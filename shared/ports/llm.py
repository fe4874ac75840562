"""LLM providers and the hub's shared records: circuit states, daily usage, call lineage.

Fakes live beside the ports for the hub's unit tests; adapters are tested against real things.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from shared.domain.errors import BudgetExceeded, DomainError, NotFound
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    FinishReason,
    ProviderKind,
    estimate_tokens,
)
from shared.domain.llm_hub import CircuitState, DailyUsage, LlmCall, LlmRoute

T = TypeVar("T")


class LlmProvider(ABC):
    """One model endpoint. ``complete`` sends one request, with no retry of its own (retries
    belong to the orchestrator), within the timeout the adapter was built with.

    Every failure is a domain error: ``LlmTimeout``, ``LlmRateLimited`` (with ``retry_after``
    when the provider said), ``LlmContextTooLong``, ``LlmBadRequest``, ``LlmAuthError``,
    ``LlmUnavailable`` or ``LlmBadResponse``. ``endpoint`` names the endpoint for circuit
    breaking and lineage (provider and base URL, never a credential); ``credential`` is a keyed
    fingerprint of the credential it calls with (set by whoever builds it; empty for none), so
    that a refused credential opens its own circuit and not the endpoint's.
    """

    kind: ProviderKind
    endpoint: str
    credential: str = ""

    @abstractmethod
    def complete(self, request: CompletionRequest) -> Completion: ...

    @abstractmethod
    def sent_parameters(self, request: CompletionRequest) -> dict[str, Any]:
        """The generation parameters ``complete`` puts on the wire for ``request``, named as the
        provider's API names them (no model, messages or credentials): what lineage records, so
        that it never claims a parameter the provider did not receive."""


class LlmProviders(ABC):
    """Builds the provider for a tenant's route, with the tenant's credentials (or the
    platform's). Raises ``ConfigurationError`` when the route cannot be served."""

    @abstractmethod
    def for_route(self, tenant: str, route: LlmRoute) -> LlmProvider: ...

    @abstractmethod
    def default_routes(self) -> tuple[LlmRoute, ...]:
        """The platform's routes for tenants that configure none."""


Change = Callable[[CircuitState, datetime], tuple[CircuitState, T]]


class CircuitStore(ABC):
    """Circuit states keyed by endpoint, shared by every process.

    ``update`` reads the state (closed when never seen), calls ``change(state, now)`` with the
    store's own clock, writes the new state and returns ``change``'s second value, all under
    one lock on that endpoint: concurrent updates from any process apply one after the other.
    ``change`` must be pure (it runs while the lock is held).
    """

    @abstractmethod
    def update(self, endpoint: str, change: Change[T]) -> T: ...

    @abstractmethod
    def get(self, endpoint: str) -> CircuitState: ...


class UsageLedger(ABC):
    """Per-tenant daily (UTC) LLM usage against the tenant's budget.

    ``reserve`` atomically checks that today's usage plus ``tokens``/``cost_usd`` stays within
    the tenant's daily budgets and records the reservation, or raises ``BudgetExceeded``
    without recording anything; ``settle`` replaces a reservation by the actual usage.
    """

    @abstractmethod
    def reserve(
        self,
        tenant: str,
        *,
        task_id: str | None,
        provider: str,
        model: str,
        tokens: int,
        cost_usd: Decimal,
    ) -> str: ...

    @abstractmethod
    def settle(
        self,
        tenant: str,
        reservation: str,
        *,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: Decimal,
    ) -> None: ...

    @abstractmethod
    def today(self, tenant: str) -> DailyUsage: ...


class LlmCallLog(ABC):
    """The tenant's append-only lineage of LLM calls (each recorded with an audit event)."""

    @abstractmethod
    def record(self, call: LlmCall) -> None: ...

    @abstractmethod
    def get(self, tenant: str, call_id: str) -> LlmCall:
        """The call, or ``NotFound``."""

    @abstractmethod
    def for_task(self, tenant: str, task_id: str) -> list[LlmCall]:
        """The task's calls, oldest first."""


# --- fakes for unit tests of services ----------------------------------------------------------
class FakeLlm(LlmProvider):
    """Answers from a queue of completions or errors (the last one repeats); records requests."""

    def __init__(
        self,
        *answers: Completion | DomainError | str,
        kind: ProviderKind = ProviderKind.OPENAI,
        endpoint: str = "fake https://llm.invalid",
        credential: str = "",
    ) -> None:
        self.kind = kind
        self.endpoint = endpoint
        self.credential = credential
        self.requests: list[CompletionRequest] = []
        self._answers = list(answers) or ["ok"]

    def sent_parameters(self, request: CompletionRequest) -> dict[str, Any]:
        return {"temperature": request.temperature, "max_tokens": request.max_tokens}

    def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
        if isinstance(answer, DomainError):
            raise answer
        if isinstance(answer, Completion):
            return answer
        return Completion(
            answer,
            request.model,
            estimate_tokens(request.prompt_chars),
            estimate_tokens(len(answer)),
            5,
            FinishReason.STOP,
        )


class FakeLlmProviders(LlmProviders):
    """Maps ``route.label`` to a provider; unknown routes raise ``NotFound``."""

    def __init__(self, providers: dict[str, LlmProvider], defaults: Iterable[LlmRoute] = ()):
        self.providers = providers
        self._defaults = tuple(defaults)

    def for_route(self, tenant: str, route: LlmRoute) -> LlmProvider:
        try:
            return self.providers[route.label]
        except KeyError as exc:
            raise NotFound(f"no fake provider for {route.label}") from exc

    def default_routes(self) -> tuple[LlmRoute, ...]:
        return self._defaults


class FakeCircuitStore(CircuitStore):
    """In memory, with a settable clock (``now``)."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)
        self._states: dict[str, CircuitState] = {}
        self._lock = threading.Lock()

    def update(self, endpoint: str, change: Change[T]) -> T:
        with self._lock:
            state, result = change(self._states.get(endpoint, CircuitState(endpoint)), self.now)
            self._states[endpoint] = state
            return result

    def get(self, endpoint: str) -> CircuitState:
        with self._lock:
            return self._states.get(endpoint, CircuitState(endpoint))


class FakeUsageLedger(UsageLedger):
    """In memory; budgets per tenant (default: unlimited)."""

    def __init__(self, budgets: dict[str, tuple[int, Decimal]] | None = None) -> None:
        self.budgets = dict(budgets or {})
        self.entries: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()

    def _used(self, tenant: str) -> tuple[int, Decimal]:
        mine = [e for e in self.entries.values() if e["tenant"] == tenant]
        tokens = sum(int(str(e["tokens"])) for e in mine)
        return tokens, sum((Decimal(str(e["cost_usd"])) for e in mine), Decimal(0))

    def reserve(
        self,
        tenant: str,
        *,
        task_id: str | None,
        provider: str,
        model: str,
        tokens: int,
        cost_usd: Decimal,
    ) -> str:
        with self._lock:
            used_tokens, used_cost = self._used(tenant)
            token_budget, cost_budget = self.budgets.get(tenant, (10**12, Decimal(10**9)))
            if used_tokens + tokens > token_budget or used_cost + cost_usd > cost_budget:
                raise BudgetExceeded(f"daily LLM budget of tenant {tenant!r} exceeded")
            reservation = str(uuid.uuid4())
            self.entries[reservation] = {
                "tenant": tenant,
                "task_id": task_id,
                "provider": provider,
                "model": model,
                "tokens": tokens,
                "cost_usd": cost_usd,
                "state": "reserved",
            }
            return reservation

    def settle(
        self,
        tenant: str,
        reservation: str,
        *,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: Decimal,
    ) -> None:
        with self._lock:
            entry = self.entries[reservation]
            if entry["tenant"] != tenant:
                raise NotFound(f"no reservation {reservation} for tenant {tenant!r}")
            entry.update(
                model=model, tokens=input_tokens + output_tokens, cost_usd=cost_usd, state="settled"
            )

    def today(self, tenant: str) -> DailyUsage:
        with self._lock:
            tokens, cost = self._used(tenant)
            token_budget, cost_budget = self.budgets.get(tenant, (10**12, Decimal(10**9)))
            return DailyUsage(tokens, cost, token_budget, cost_budget)


class FakeLlmCallLog(LlmCallLog):
    def __init__(self) -> None:
        self.calls: list[LlmCall] = []

    def record(self, call: LlmCall) -> None:
        self.calls.append(dataclasses.replace(call, occurred_at=datetime.now(UTC)))

    def get(self, tenant: str, call_id: str) -> LlmCall:
        for call in self.calls:
            if call.tenant == tenant and call.id == call_id:
                return call
        raise NotFound(f"no LLM call {call_id} for tenant {tenant!r}")

    def for_task(self, tenant: str, task_id: str) -> list[LlmCall]:
        return [c for c in self.calls if c.tenant == tenant and c.task_id == task_id]
