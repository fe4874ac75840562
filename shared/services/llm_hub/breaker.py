"""Circuit breaking, shared by every instance through a ``CircuitStore``.

Two kinds of circuit, so that one tenant cannot cut the others off a shared endpoint:

- the endpoint's own circuit (named by ``LlmProvider.endpoint``) counts what says the endpoint
  itself is down for everyone: 5xx, timeouts, connection errors, garbage answers;
- a circuit per (endpoint, credential) (``credential_circuit``) counts what says only that
  credential is refused: 401, 403 and 429. One team's exhausted or revoked API key opens its own
  circuit, never the endpoint's. The credential is named by its fingerprint, never the key.

A tenant's budget refusal happens before any circuit is asked and opens none.

closed → open after ``failure_threshold`` failures within ``window_s`` (the window starts at
the first failure); open → half-open once ``cooldown_s`` have passed, when one caller is let
through as the probe (others are still refused while the probe holds its slot, at most for the
probe's own timeout); half-open → closed when the probe succeeds, → open again when it fails.

Which circuit a failure counts against is the caller's choice (the hub's ``AttemptRunner``);
requests refused as malformed prove the endpoint is up and count against neither.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.domain.errors import CircuitOpen
from shared.domain.llm_hub import CircuitState, CircuitStatus
from shared.ports.llm import CircuitStore


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    window_s: float = 60.0
    cooldown_s: float = 30.0


@dataclass(frozen=True)
class Admission:
    """Whether a call may go: ``probe`` when it is the half-open probe; ``retry_in`` seconds
    when refused."""

    allowed: bool
    probe: bool = False
    retry_in: float = 0.0


def admit(
    state: CircuitState, now: datetime, policy: BreakerPolicy, probe_s: float
) -> tuple[CircuitState, Admission]:
    if state.status is CircuitStatus.CLOSED:
        return state, Admission(True)
    if state.status is CircuitStatus.OPEN:
        assert state.opened_at is not None
        reopen = state.opened_at + timedelta(seconds=policy.cooldown_s)
        if now < reopen:
            return state, Admission(False, retry_in=(reopen - now).total_seconds())
    elif state.probe_until is not None and now < state.probe_until:
        return state, Admission(False, retry_in=(state.probe_until - now).total_seconds())
    probing = replace(
        state, status=CircuitStatus.HALF_OPEN, probe_until=now + timedelta(seconds=probe_s)
    )
    return probing, Admission(True, probe=True)


def record_success(state: CircuitState, now: datetime) -> tuple[CircuitState, None]:
    """A success closes a half-open (or open) circuit; in a closed one, failures already
    counted in the window still count."""
    if state.status is CircuitStatus.CLOSED:
        return state, None
    return CircuitState(state.endpoint), None


def record_failure(
    state: CircuitState, now: datetime, policy: BreakerPolicy
) -> tuple[CircuitState, None]:
    if state.status is not CircuitStatus.CLOSED:
        return replace(state, status=CircuitStatus.OPEN, opened_at=now, probe_until=None), None
    window_open = state.window_started_at is not None and now - state.window_started_at <= (
        timedelta(seconds=policy.window_s)
    )
    failures = state.failures + 1 if window_open else 1
    started = state.window_started_at if window_open else now
    if failures >= policy.failure_threshold:
        return CircuitState(
            state.endpoint, CircuitStatus.OPEN, failures, started, opened_at=now
        ), None
    return replace(state, failures=failures, window_started_at=started), None


def credential_circuit(endpoint: str, credential: str) -> str:
    """The name of the circuit of ``credential`` (a fingerprint) on ``endpoint``; without a
    credential (a keyless Ollama, a managed identity) every caller shares ``<endpoint> key=-``."""
    return f"{endpoint} key={credential or '-'}"


class CircuitBreaker:
    def __init__(self, store: CircuitStore, policy: BreakerPolicy | None = None) -> None:
        self._store = store
        self.policy = policy or BreakerPolicy()

    def admit(self, endpoint: str, *, probe_s: float) -> Admission:
        """Let a call through the circuit ``endpoint`` (an endpoint, or a ``credential_circuit``)
        go, or raise ``CircuitOpen`` without calling anything. ``probe_s`` bounds how long a
        half-open probe holds its slot (its timeout)."""
        admission = self._store.update(
            endpoint, lambda state, now: admit(state, now, self.policy, probe_s)
        )
        if not admission.allowed:
            raise CircuitOpen(
                f"circuit open for {endpoint}: too many recent failures; next probe in "
                f"{admission.retry_in:.1f} s"
            )
        return admission

    def succeeded(self, endpoint: str) -> None:
        self._store.update(endpoint, record_success)

    def failed(self, endpoint: str) -> bool:
        """Count a failure; whether the circuit is open after it."""

        def fail(state: CircuitState, now: datetime) -> tuple[CircuitState, bool]:
            after, _ = record_failure(state, now, self.policy)
            return after, after.status is CircuitStatus.OPEN

        return self._store.update(endpoint, fail)

    def state(self, endpoint: str) -> CircuitState:
        return self._store.get(endpoint)
