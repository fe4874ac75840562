"""Translate Azure SDK errors (azure-core) into domain errors, for every Azure adapter.

``401`` and credential failures → ``Unauthenticated``; ``403`` → ``PermissionDenied``; ``404`` →
``NotFound``; ``409``/``412`` → ``Conflict``; ``429`` → ``RateLimited`` with ``Retry-After``;
other ``4xx`` → ``InvalidInput``; ``5xx``, timeouts and connection failures → ``Unavailable``.
"""

from __future__ import annotations

from shared.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

_BY_STATUS: dict[int, type[DomainError]] = {
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: Conflict,
}


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def map_azure_error(exc: Exception, what: str) -> DomainError:
    """The domain error for ``exc`` (an azure-core exception) raised while doing ``what``.

    Callers ``raise map_azure_error(exc, "...") from exc``. Messages name the operation and the
    service's status and error code, never request bodies (which may hold secret values).
    """
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    status = getattr(exc, "status_code", None)
    error_code = getattr(exc, "error_code", None)
    detail = f"{what}: {type(exc).__name__}" + (f" {status}" if status else "")
    detail += f" ({error_code})" if error_code else ""
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return Unavailable(f"{what}: {type(exc).__name__}: {exc}")
    if isinstance(exc, ClientAuthenticationError) and status in (None, 401):
        return Unauthenticated(detail)
    if not isinstance(exc, HttpResponseError) or status is None:
        return Unavailable(f"{what}: {type(exc).__name__}: {exc}")
    if status == 429:
        return RateLimited(detail, retry_after=_retry_after(exc))
    error = _BY_STATUS.get(status) or (InvalidInput if 400 <= status < 500 else Unavailable)
    return error(detail)
