"""HTTP answers of providers become domain errors (the wire tests cover each SDK's path)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.llm.errors import error_for_status, retry_after_seconds
from shared.domain.errors import (
    LlmAuthError,
    LlmBadRequest,
    LlmContextTooLong,
    LlmRateLimited,
    LlmTimeout,
    LlmUnavailable,
)


def test_retry_after_in_seconds_milliseconds_or_http_date() -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}) == 7
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Tue, 01 Jan 2030 12:00:30 GMT"}, now) == 30
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("status", "detail", "code", "expected"),
    [
        (401, "bad key", None, LlmAuthError),
        (403, "forbidden", None, LlmAuthError),
        (408, "timeout", None, LlmTimeout),
        (413, "request too large", None, LlmContextTooLong),
        (400, "prompt is too long: 210000 tokens > 200000 maximum", None, LlmContextTooLong),
        (400, "too big", "context_length_exceeded", LlmContextTooLong),
        (400, "temperature out of range", None, LlmBadRequest),
        (404, "model not found", None, LlmBadRequest),
        (500, "boom", None, LlmUnavailable),
        (529, "overloaded", None, LlmUnavailable),
    ],
)
def test_statuses_map_to_domain_errors(status, detail, code, expected) -> None:
    error = error_for_status("x", status, detail, code=code)
    assert type(error) is expected
    assert f"x answered {status}" in error.message


def test_rate_limit_carries_retry_after() -> None:
    error = error_for_status("x", 429, "slow down", headers={"retry-after": "12"})
    assert isinstance(error, LlmRateLimited) and error.retry_after == 12
