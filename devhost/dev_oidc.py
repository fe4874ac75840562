"""A development OIDC issuer, so local runs exercise the same token validation as Azure.

It mimics Entra ID's v2.0 endpoints for any directory tenant id: discovery at
``/dev-oidc/<tid>/v2.0/.well-known/openid-configuration``, keys at ``/dev-oidc/keys`` and a
token endpoint that mints RS256 tokens for whoever asks (a JSON POST, for tests and tools), plus
the browser flow MSAL.js uses (authorization code with PKCE, refresh tokens and sign-out:
``devhost.dev_oidc_browser``, ``devhost.dev_oidc_sessions``), where
the sign-in page lets anyone pick a user name and roles. That makes it a development tool only:
devhost mounts it when ``DEV_OIDC_ENABLED`` is true, and the app's settings refuse that flag in
Azure. The signing key is generated once under the data dir (0600) and reused across restarts.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PREFIX = "/dev-oidc"
#: The console's client id when ``ENTRA_CONSOLE_CLIENT_ID`` is unset (the app's default too).
CONSOLE_CLIENT_ID = "ai-code-agent-console"


def object_id_for(username: str) -> str:
    """The object id (``oid``) this issuer gives ``username``: stable, so it can be linked."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"oid:{username}"))


class DevIssuer:
    """Keys, discovery documents and token minting for ``<base_url>/dev-oidc/<tid>/v2.0``."""

    def __init__(self, data_dir: Path, base_url: str, token_lifetime_s: int = 3600) -> None:
        self.base_url = base_url.rstrip("/")
        #: Lifetime of the access and id tokens the browser flow issues (Entra's default hour;
        #: tests shorten it to see the console renew them).
        self.token_lifetime_s = token_lifetime_s
        #: Browser clients: client id -> the redirect URIs registered for it (exact match).
        self.clients: dict[str, set[str]] = {}
        path = data_dir / "oidc" / "signing-key.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            generated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = generated.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.touch(mode=0o600)
            path.write_bytes(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA key")
        self._key = loaded
        public = self._key.public_key()
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        self.kid = uuid.uuid5(uuid.NAMESPACE_URL, jwk["n"]).hex[:16]
        self._jwk = {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def register_client(self, client_id: str, redirect_uri: str) -> None:
        """Allow ``client_id`` to receive authorization codes at ``redirect_uri``."""
        self.clients.setdefault(client_id, set()).add(redirect_uri)

    @property
    def authority(self) -> str:
        """What the app's ``ENTRA_AUTHORITY`` must be to trust this issuer."""
        return f"{self.base_url}{PREFIX}"

    def issuer(self, tenant_id: str) -> str:
        return f"{self.authority}/{tenant_id}/v2.0"

    def discovery(self, tenant_id: str) -> dict[str, Any]:
        issuer = self.issuer(tenant_id)
        return {
            "issuer": issuer,
            "jwks_uri": f"{self.authority}/keys",
            "token_endpoint": f"{issuer}/token",
            "authorization_endpoint": f"{issuer}/authorize",
            "end_session_endpoint": f"{issuer}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "token id_token"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile", "offline_access"],
            "subject_types_supported": ["pairwise"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    def mint(
        self,
        *,
        tenant_id: str,
        username: str,
        audience: str,
        roles: list[str],
        lifetime_s: int = 3600,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """An RS256 token for ``username``; ``extra`` claims (``nonce``, ``scp``) are added."""
        now = int(time.time())
        claims = {
            "iss": self.issuer(tenant_id),
            "aud": audience,
            "tid": tenant_id,
            "sub": uuid.uuid5(uuid.NAMESPACE_DNS, username).hex,
            "oid": object_id_for(username),
            "preferred_username": username,
            "roles": roles,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "ver": "2.0",
            **(extra or {}),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def add_routes(app: web.Application, issuer: DevIssuer) -> None:
    """Serve the issuer's discovery, keys, token and browser sign-in endpoints on ``app``.

    Discovery, keys and the token endpoint answer CORS requests from the origins of registered
    redirect URIs (the console fetches them from its own origin)."""
    from devhost.dev_oidc_browser import BrowserFlow

    flow = BrowserFlow(issuer)

    async def discovery(request: web.Request) -> web.Response:
        return flow.cors(request, web.json_response(issuer.discovery(request.match_info["tid"])))

    async def keys(request: web.Request) -> web.Response:
        return flow.cors(request, web.json_response(issuer.jwks()))

    async def token(request: web.Request) -> web.Response:
        if request.content_type == "application/x-www-form-urlencoded":
            return await flow.exchange(request)
        try:
            body = await request.json()
            minted = issuer.mint(
                tenant_id=request.match_info["tid"],
                username=str(body["username"]),
                audience=str(body["audience"]),
                roles=[str(r) for r in body.get("roles", [])],
                lifetime_s=int(body.get("lifetime_s", 3600)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": "invalid_request", "detail": str(exc)}, status=400)
        return web.json_response({"access_token": minted, "token_type": "Bearer"})

    tenant = f"{PREFIX}/{{tid}}/v2.0"
    app.router.add_get(f"{tenant}/.well-known/openid-configuration", discovery)
    app.router.add_get(f"{PREFIX}/keys", keys)
    app.router.add_post(f"{tenant}/token", token)
    app.router.add_route("OPTIONS", f"{tenant}/token", flow.preflight)
    app.router.add_get(f"{tenant}/authorize", flow.authorize_page)
    app.router.add_post(f"{tenant}/authorize", flow.sign_in)
    app.router.add_get(f"{tenant}/logout", flow.logout)
