"""The circuit breaker's state machine, on the in-memory store with a settable clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.errors import CircuitOpen
from shared.domain.llm_hub import CircuitStatus
from shared.ports.llm import FakeCircuitStore
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker

EP = "openai https://api.openai.com/v1"


@pytest.fixture
def store() -> FakeCircuitStore:
    return FakeCircuitStore()


@pytest.fixture
def breaker(store: FakeCircuitStore) -> CircuitBreaker:
    return CircuitBreaker(store, BreakerPolicy(failure_threshold=3, window_s=60, cooldown_s=30))


def later(store: FakeCircuitStore, seconds: float) -> None:
    store.now += timedelta(seconds=seconds)


def test_opens_after_threshold_failures_within_the_window(store, breaker) -> None:
    for _ in range(2):
        breaker.admit(EP, probe_s=10)
        breaker.failed(EP)
    assert breaker.state(EP).status is CircuitStatus.CLOSED
    breaker.failed(EP)
    state = breaker.state(EP)
    assert state.status is CircuitStatus.OPEN and state.opened_at == store.now
    with pytest.raises(CircuitOpen, match=r"next probe in 30\.0 s"):
        breaker.admit(EP, probe_s=10)


def test_failures_outside_the_window_start_a_new_count(store, breaker) -> None:
    breaker.failed(EP)
    breaker.failed(EP)
    later(store, 61)
    breaker.failed(EP)
    state = breaker.state(EP)
    assert state.status is CircuitStatus.CLOSED and state.failures == 1


def test_successes_do_not_forgive_failures_in_the_window(store, breaker) -> None:
    breaker.failed(EP)
    breaker.succeeded(EP)
    breaker.failed(EP)
    breaker.succeeded(EP)
    breaker.failed(EP)
    assert breaker.state(EP).status is CircuitStatus.OPEN


def test_half_open_lets_one_probe_through_and_success_closes(store, breaker) -> None:
    for _ in range(3):
        breaker.failed(EP)
    later(store, 30)
    assert breaker.admit(EP, probe_s=10).probe
    assert breaker.state(EP).status is CircuitStatus.HALF_OPEN
    with pytest.raises(CircuitOpen):  # a second caller while the probe is in flight
        breaker.admit(EP, probe_s=10)
    breaker.succeeded(EP)
    assert breaker.state(EP).status is CircuitStatus.CLOSED and breaker.state(EP).failures == 0
    assert not breaker.admit(EP, probe_s=10).probe


def test_a_failed_probe_reopens_for_another_cooldown(store, breaker) -> None:
    for _ in range(3):
        breaker.failed(EP)
    later(store, 31)
    breaker.admit(EP, probe_s=10)
    breaker.failed(EP)
    state = breaker.state(EP)
    assert state.status is CircuitStatus.OPEN and state.opened_at == store.now
    later(store, 29)
    with pytest.raises(CircuitOpen):
        breaker.admit(EP, probe_s=10)


def test_a_probe_that_never_reports_back_frees_its_slot_after_its_timeout(store, breaker) -> None:
    for _ in range(3):
        breaker.failed(EP)
    later(store, 30)
    breaker.admit(EP, probe_s=10)
    later(store, 9)
    with pytest.raises(CircuitOpen):
        breaker.admit(EP, probe_s=10)
    later(store, 1)
    assert breaker.admit(EP, probe_s=10).probe


def test_endpoints_have_separate_circuits(breaker) -> None:
    for _ in range(3):
        breaker.failed(EP)
    assert breaker.admit("anthropic https://api.anthropic.com", probe_s=10).allowed
