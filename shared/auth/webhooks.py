"""Webhook authentication: always on, per tenant, constant-time, with secret rotation.

- GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``.
- GitLab: ``X-Gitlab-Token`` equals the tenant's token.
- Azure DevOps: HTTP basic auth (``user:password``) and/or a shared secret in a header
  (name set per tenant); every mechanism the tenant configured must pass, and at least one must
  be configured.

Secrets live in the ``SecretStore`` under ``webhook-<provider>`` (Azure DevOps: the basic
``user:password``) and ``webhook-azure-devops-header`` (the header secret). During a rotation the
old value is kept under the same name with ``-previous`` appended, and either one is accepted —
until the time (Unix seconds) stored under ``webhook-<provider>-previous-until``, when there is
one: from then on only the current value is.

Every failure raises ``Unauthenticated`` with the same message: the sender learns nothing about
which part was wrong. Candidates are all compared, whatever matched first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.domain.errors import Unauthenticated
from shared.domain.task import Provider

ROTATION_SUFFIX = "-previous"
AZURE_DEVOPS_HEADER_SECRET = "webhook-azure-devops-header"  # noqa: S105 (a secret name)


@dataclass(frozen=True)
class WebhookSecrets:
    """The values a tenant accepts for one provider: ``main`` (HMAC key, token or basic
    ``user:password``) and, for Azure DevOps, ``header`` secrets. Each holds current and
    previous values."""

    main: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    #: When the previous values (all but the first of each) stop being accepted; None: never.
    previous_until: float | None = None

    def at(self, now: float) -> WebhookSecrets:
        """The values accepted at ``now`` (Unix seconds)."""
        if self.previous_until is None or now < self.previous_until:
            return self
        return WebhookSecrets(main=self.main[:1], header=self.header[:1])


def secret_names(provider: Provider) -> dict[str, tuple[str, str]]:
    """SecretStore names per role (``main``/``header``): (current, previous)."""
    main = f"webhook-{provider.value}"
    names = {"main": (main, main + ROTATION_SUFFIX)}
    if provider is Provider.AZURE_DEVOPS:
        header = AZURE_DEVOPS_HEADER_SECRET
        names["header"] = (header, header + ROTATION_SUFFIX)
    return names


def rotation_deadline_name(provider: Provider) -> str:
    """SecretStore name of the time the previous values of ``provider`` expire."""
    return f"webhook-{provider.value}{ROTATION_SUFFIX}-until"


def authenticate(
    provider: Provider,
    headers: Mapping[str, str],
    body: bytes,
    secrets: WebhookSecrets,
    *,
    secret_header: str = "",
) -> None:
    """Raise ``Unauthenticated`` unless the request proves knowledge of a tenant secret.

    ``headers`` must have lower-case names; ``secret_header`` names the Azure DevOps header.
    """
    secrets = secrets.at(time.time())
    if provider is Provider.GITHUB:
        ok = _github(body, headers.get("x-hub-signature-256"), secrets.main)
    elif provider is Provider.GITLAB:
        ok = _any_equal(headers.get("x-gitlab-token"), secrets.main)
    elif provider is Provider.AZURE_DEVOPS:
        ok = _azure_devops(headers, secrets, secret_header.lower())
    else:
        ok = False
    if not ok:
        raise Unauthenticated("unauthenticated")


def github_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _github(body: bytes, signature: str | None, secrets: Sequence[str]) -> bool:
    if not signature or not secrets:
        return False
    expected = [github_signature(secret, body) for secret in secrets]
    return _any_equal(signature.strip().lower(), expected)


def _azure_devops(headers: Mapping[str, str], secrets: WebhookSecrets, header: str) -> bool:
    if not secrets.main and not secrets.header:
        return False
    ok = True
    if secrets.main:
        ok &= _any_equal(_basic_credentials(headers.get("authorization")), secrets.main)
    if secrets.header:
        ok &= bool(header) and _any_equal(headers.get(header), secrets.header)
    return ok


def _basic_credentials(authorization: str | None) -> str | None:
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        return base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _any_equal(presented: str | None, candidates: Sequence[str]) -> bool:
    """Constant-time comparison against every candidate (no early exit on a match)."""
    if presented is None or not candidates:
        return False
    given = presented.encode("utf-8", "replace")
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(given, candidate.encode("utf-8", "replace"))
    return matched
