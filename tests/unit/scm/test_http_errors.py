"""Classifying vendor HTTP failures into domain errors (shared by the three SaaS adapters)."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from shared.adapters.scm.errors import http_error, retry_after_seconds
from shared.domain.errors import (
    ScmAuthError,
    ScmConflict,
    ScmError,
    ScmNotFound,
    ScmRateLimited,
    ScmUnavailable,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected"),
    [
        (401, {}, "Bad credentials", ScmAuthError),
        (403, {}, "Resource not accessible by integration", ScmAuthError),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000100"},
            "API rate limit exceeded",
            ScmRateLimited,
        ),
        (403, {"Retry-After": "60"}, "secondary rate limit", ScmRateLimited),
        (403, {}, "You have exceeded a secondary rate limit", ScmRateLimited),
        (404, {}, "Not Found", ScmNotFound),
        (409, {}, "conflict", ScmConflict),
        (422, {}, "Reference already exists", ScmConflict),
        (429, {}, "slow down", ScmRateLimited),
        (500, {}, "oops", ScmUnavailable),
        (502, {}, "Bad gateway", ScmUnavailable),
        (400, {}, "bad", ScmError),
    ],
)
def test_statuses_map_to_the_domain_error_classes(status, headers, message, expected) -> None:
    error = http_error(status, headers, message, now=NOW)
    assert type(error) is expected
    assert f"HTTP {status}" in str(error)


def test_retry_after_comes_from_seconds_a_date_or_the_reset_time() -> None:
    assert retry_after_seconds({"Retry-After": "42"}, NOW) == 42
    assert retry_after_seconds({"retry-after": formatdate(NOW + 90, usegmt=True)}, NOW) == 90
    assert retry_after_seconds({"X-RateLimit-Reset": str(int(NOW) + 30)}, NOW) == 30
    assert retry_after_seconds({"RateLimit-Reset": str(int(NOW) - 5)}, NOW) == 0
    assert retry_after_seconds({}, NOW) is None


def test_a_secondary_limit_without_headers_waits_a_minute() -> None:
    error = http_error(403, {}, "You have exceeded a secondary rate limit", now=NOW)
    assert isinstance(error, ScmRateLimited) and error.retry_after == 60


def test_only_rate_limits_and_unavailability_are_retryable() -> None:
    retryable = {
        status: http_error(status, {}, "x", now=NOW).retryable
        for status in (401, 404, 409, 429, 503)
    }
    assert retryable == {401: False, 404: False, 409: False, 429: True, 503: True}
