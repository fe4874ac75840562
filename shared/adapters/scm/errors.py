"""Vendor HTTP failures, classified once into the ``Scm*`` domain errors.

Every SaaS adapter extracts (status, response headers, message) from its SDK's failure and calls
``http_error``; ``transport_error`` covers timeouts and refused connections. Rate limits carry the
server's wait in seconds: ``Retry-After`` (seconds or an HTTP date), else the reset time of the
window (``X-RateLimit-Reset`` on GitHub and Azure DevOps, ``RateLimit-Reset`` on GitLab), else
one minute for GitHub's secondary limits, which its docs say to wait at least that long for.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from shared.domain.errors import (
    ScmAuthError,
    ScmConflict,
    ScmError,
    ScmNotFound,
    ScmRateLimited,
    ScmUnavailable,
)

SECONDARY_LIMIT_WAIT_S = 60.0


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """The wait the server asked for, in seconds from ``now`` (epoch seconds), if it said."""
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = lower.get("retry-after")
    if retry_after is not None:
        seconds = _number(retry_after)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = _number(lower.get("x-ratelimit-reset") or lower.get("ratelimit-reset"))
    if reset is not None:
        return max(0.0, reset - now)
    return None


def _rate_limited(status: int, headers: Mapping[str, str], message: str) -> bool:
    if status == 429:
        return True
    if status != 403:
        return False
    lower = {k.lower(): v for k, v in headers.items()}
    return (
        "retry-after" in lower
        or lower.get("x-ratelimit-remaining") == "0"
        or "rate limit" in message.lower()
    )


def http_error(status: int, headers: Mapping[str, str], message: str, *, now: float) -> ScmError:
    """The domain error for an HTTP failure ``status`` (``message`` names vendor and action)."""
    text = f"{message} (HTTP {status})"
    if _rate_limited(status, headers, message):
        wait = retry_after_seconds(headers, now)
        return ScmRateLimited(text, retry_after=SECONDARY_LIMIT_WAIT_S if wait is None else wait)
    if status in (401, 403):
        return ScmAuthError(text)
    if status in (404, 410):
        return ScmNotFound(text)
    if status in (409, 412, 422):
        return ScmConflict(text)
    if status == 408 or status >= 500:
        return ScmUnavailable(text)
    return ScmError(text, code="scm-rejected")


def transport_error(message: str, exc: BaseException) -> ScmUnavailable:
    """A timeout or connection failure: retryable. Only the exception's type is kept (its text
    may carry URLs with query strings)."""
    return ScmUnavailable(f"{message}: {type(exc).__name__}")
