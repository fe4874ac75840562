"""Domain errors: the one module every layer raises and maps.

Adapters translate vendor errors into these with ``raise ... from exc``. Each carries a stable,
machine-readable ``code`` (used in HTTP error bodies and dead-letter records) and says whether a
retry can help (``retryable``): orchestrators retry only retryable errors.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of all domain errors."""

    code = "error"
    retryable = False
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


# --- input, configuration, identity ---------------------------------------------------------
class InvalidInput(DomainError):
    code = "invalid-input"
    http_status = 400


class PayloadTooLarge(InvalidInput):
    code = "payload-too-large"
    http_status = 413


class ConfigurationError(DomainError):
    """A setting is missing or invalid; raised at start, naming the setting."""

    code = "configuration-error"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401


class PermissionDenied(DomainError):
    code = "permission-denied"
    http_status = 403


class NotFound(DomainError):
    code = "not-found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class RateLimited(DomainError):
    """Too many requests; ``retry_after`` is in seconds when the other side said so."""

    code = "rate-limited"
    retryable = True
    http_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency is down or timed out: retryable."""

    code = "unavailable"
    retryable = True
    http_status = 503


# --- tenancy -------------------------------------------------------------------------------
class InvalidTenantSlug(InvalidInput):
    code = "invalid-tenant-slug"


class TenantNotFound(NotFound):
    code = "tenant-not-found"


class TenantDisabled(PermissionDenied):
    code = "tenant-disabled"


class TenantBusy(Conflict):
    code = "tenant-busy"


class QuotaExceeded(RateLimited):
    code = "quota-exceeded"
    retryable = False


class BudgetExceeded(QuotaExceeded):
    code = "budget-exceeded"


# --- storage ---------------------------------------------------------------------------------
class MigrationError(DomainError):
    code = "migration-error"


class MigrationChecksumMismatch(MigrationError):
    code = "migration-checksum-mismatch"


# --- SCM -------------------------------------------------------------------------------------
class ScmError(DomainError):
    code = "scm-error"


class ScmAuthError(ScmError, Unauthenticated):
    code = "scm-auth"


class ScmNotFound(ScmError, NotFound):
    code = "scm-not-found"


class ScmConflict(ScmError, Conflict):
    code = "scm-conflict"


class ScmRateLimited(ScmError, RateLimited):
    code = "scm-rate-limited"


class ScmUnavailable(ScmError, Unavailable):
    code = "scm-unavailable"


# --- LLM -------------------------------------------------------------------------------------
class LlmError(DomainError):
    code = "llm-error"


class LlmAuthError(LlmError, Unauthenticated):
    code = "llm-auth"


class LlmBadRequest(LlmError, InvalidInput):
    code = "llm-bad-request"


class LlmContextTooLong(LlmBadRequest):
    code = "llm-context-too-long"


class LlmRateLimited(LlmError, RateLimited):
    code = "llm-rate-limited"


class LlmTimeout(LlmError, Unavailable):
    code = "llm-timeout"


class LlmUnavailable(LlmError, Unavailable):
    code = "llm-unavailable"


class LlmBadResponse(LlmError):
    code = "llm-bad-response"
    retryable = True


class CircuitOpen(LlmUnavailable):
    code = "circuit-open"


# --- patches and flow ------------------------------------------------------------------------
class PatchRejected(DomainError):
    code = "patch-rejected"


# --- sandbox (running repository code) -------------------------------------------------------
class CheckoutTooLarge(DomainError):
    """The repository is over the checkout limits: its check is reported ``unchecked``."""

    code = "checkout-too-large"


class CheckoutUnsupported(DomainError):
    """The connection's credentials cannot fetch with git: the check is reported ``unchecked``."""

    code = "checkout-unsupported"


class SandboxError(DomainError):
    """The sandbox itself failed (not the program in it)."""

    code = "sandbox-error"


class SandboxUnavailable(SandboxError):
    """No sandbox can isolate code here: checks are reported ``unchecked``, never run bare."""

    code = "sandbox-unavailable"


class SandboxAuthError(SandboxError, Unauthenticated):
    code = "sandbox-auth"


class SandboxRateLimited(SandboxError, RateLimited):
    code = "sandbox-rate-limited"


class SandboxBusy(SandboxError, Unavailable):
    """The sandbox service is down or overloaded (5xx, timeouts): retryable."""

    code = "sandbox-busy"
