"""Entra ID bearer tokens: OIDC discovery + JWKS, strict validation, tenant binding, app roles.

A token is accepted only when it is signed with RS256 or PS256 by a key published in the JWKS
of its issuer (``<authority>/<tid>/v2.0``, found through OIDC discovery), names our audience,
is within ``exp``/``nbf`` (with a small leeway) and carries ``tid``. Keys are cached; an unknown
``kid`` triggers one refresh (key rollover). ``alg: none``, HMAC algorithms and everything else
are refused before any key is looked up. A valid token of another Entra tenant than the one the
platform tenant is bound to is a 403, not a 401.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from shared.domain.errors import PermissionDenied, Unauthenticated

ALLOWED_ALGORITHMS = ("RS256", "PS256")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    object_id: str
    username: str
    tenant_id: str
    roles: frozenset[str]


class EntraTokenValidator:
    """Validates bearer tokens against ``<authority>/<tid>/v2.0`` issuers. Thread-safe."""

    def __init__(
        self, *, authority: str, audience: str, leeway_s: float = 60.0, timeout_s: float = 5.0
    ) -> None:
        self._authority = authority.rstrip("/")
        self._audience = audience
        self._leeway = leeway_s
        self._timeout = timeout_s
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._discovering: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def issuer_for(self, tenant_id: str) -> str:
        return f"{self._authority}/{tenant_id}/v2.0"

    def _jwks_client(self, issuer: str) -> jwt.PyJWKClient:
        """The issuer's JWKS client, its discovery document read once: callers arriving while
        it is read wait for that one read (per issuer) instead of each fetching it — under
        load a burst of first requests otherwise sends a burst of discovery requests, each
        slower than the last."""
        with self._lock:
            client = self._clients.get(issuer)
            if client is not None:
                return client
            discovering = self._discovering.setdefault(issuer, threading.Lock())
        with discovering:
            with self._lock:
                client = self._clients.get(issuer)
            try:
                if client is None:
                    client = self._discover(issuer)
                    with self._lock:
                        self._clients[issuer] = client
                return client
            finally:  # unverified tids name issuers: keep no lock per name tried
                with self._lock:
                    self._discovering.pop(issuer, None)

    def _discover(self, issuer: str) -> jwt.PyJWKClient:
        url = f"{issuer}/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as response:  # noqa: S310
                document = json.loads(response.read())
            jwks_uri = str(document["jwks_uri"])
        except Exception as exc:
            raise Unauthenticated(f"cannot read OIDC discovery of {issuer}") from exc
        return jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=self._timeout)

    def validate(self, token: str, *, expected_tenant_id: str) -> Principal:
        """The caller, or ``Unauthenticated`` (bad token) / ``PermissionDenied`` (other tenant)."""
        try:
            header = jwt.get_unverified_header(token)
            unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed bearer token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise Unauthenticated(f"token algorithm {header.get('alg')!r} is not accepted")
        token_tid = unverified.get("tid")
        if not isinstance(token_tid, str) or not token_tid or "/" in token_tid:
            raise Unauthenticated("token has no valid tid claim")
        issuer = self.issuer_for(token_tid)
        try:
            key = self._jwks_client(issuer).get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audience,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "tid"]},
            )
        except Unauthenticated:
            raise
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Unauthenticated(f"token rejected: {exc}") from exc
        if claims["tid"] != expected_tenant_id:
            raise PermissionDenied("token belongs to another directory tenant")
        roles = claims.get("roles") or []
        return Principal(
            object_id=str(claims.get("oid") or claims.get("sub") or ""),
            username=str(claims.get("preferred_username") or claims.get("upn") or ""),
            tenant_id=token_tid,
            roles=frozenset(str(r) for r in roles if isinstance(r, str)),
        )

    def validate_own_directory(self, token: str) -> Principal:
        """The caller of a token from whichever directory issued it, checked as ``validate``
        checks (that directory's issuer and keys, our audience, lifetime): for questions that
        are only about the caller, such as which tenants they may pick."""
        try:
            unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed bearer token") from exc
        tid = unverified.get("tid")
        return self.validate(token, expected_tenant_id=tid if isinstance(tid, str) else "")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or ``Unauthenticated``."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    return token.strip()
