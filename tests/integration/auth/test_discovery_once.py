"""OIDC discovery is read once per issuer, also when many callers arrive together."""

from __future__ import annotations

import threading
import time

import pytest

from shared.auth.entra import EntraTokenValidator
from shared.domain.errors import Unauthenticated

ISSUER = "https://login.example/tid/v2.0"


class Discovery:
    """Stands in for ``_discover``: blocks until released, counting the reads."""

    def __init__(self, fail: bool = False) -> None:
        self.reads = 0
        self.fail = fail
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, issuer: str) -> object:
        self.reads += 1
        self.entered.set()
        assert self.release.wait(10)
        if self.fail:
            raise Unauthenticated(f"cannot read OIDC discovery of {issuer}")
        return f"client of {issuer}"


def _callers(validator: EntraTokenValidator, n: int) -> tuple[list[threading.Thread], list]:
    results: list = []

    def call() -> None:
        try:
            results.append(validator._jwks_client(ISSUER))
        except Unauthenticated as exc:
            results.append(exc)

    threads = [threading.Thread(target=call) for _ in range(n)]
    return threads, results


@pytest.mark.parametrize("fail", [False, True])
def test_callers_arriving_during_discovery_wait_for_that_one_read(monkeypatch, fail) -> None:
    validator = EntraTokenValidator(authority="https://login.example", audience="api://x")
    discovery = Discovery(fail=fail)
    monkeypatch.setattr(validator, "_discover", discovery)
    first, results = _callers(validator, 1)
    first[0].start()
    assert discovery.entered.wait(10)
    others, more = _callers(validator, 8)
    for t in others:
        t.start()
    time.sleep(0.2)  # lets them reach discovery: without the single read they would read too
    discovery.release.set()
    for t in first + others:
        t.join(10)
    outcomes = results + more
    if fail:  # a failed read is not kept: the waiters try once more each, one at a time
        assert all(isinstance(r, Unauthenticated) for r in outcomes)
        assert discovery.reads == 9
    else:
        assert outcomes == [f"client of {ISSUER}"] * 9
        assert discovery.reads == 1
    assert validator._discovering == {}  # no lock kept per issuer name tried
