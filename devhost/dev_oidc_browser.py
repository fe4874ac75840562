"""The development issuer's browser flow: authorization code with PKCE, as MSAL.js runs it.

``GET <issuer>/authorize`` checks the request before showing anything: the client must be
registered with exactly that ``redirect_uri`` (else an error page, never a redirect: an open
redirector would hand codes to anyone), ``response_type=code``, an S256 ``code_challenge``.
It then shows a plain form (user name and the app roles to sign in as: development only).
``POST`` issues a code (random, single use, ``CODE_TTL_S`` seconds) and redirects to the
``redirect_uri`` with ``code`` and ``state`` in the query or fragment, as ``response_mode``
asks. ``POST <issuer>/token`` (form-encoded ``grant_type=authorization_code``) redeems the code
once, only for the same client and ``redirect_uri`` and a ``code_verifier`` whose SHA-256 is the
challenge, and answers an access token for the API scope asked (audience: the scope's resource)
and an id token for the client carrying the ``nonce``, plus a refresh token when
``offline_access`` was asked; ``grant_type=refresh_token`` renews them and ``<issuer>/logout``
ends the sign-in (``devhost.dev_oidc_sessions``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from devhost.dev_oidc_sessions import Sessions

if TYPE_CHECKING:
    from devhost.dev_oidc import DevIssuer

CODE_TTL_S = 60.0
PENDING_TTL_S = 600.0
ROLES = ("Viewer", "Approver", "Auditor", "TenantAdmin")
# The sign-in form's POST answers with a redirect to the client: form-action must allow it.
_PAGE_CSP = (
    "default-src 'none'; form-action 'self' {client}; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class AuthorizeRequest:
    """A checked ``/authorize`` request waiting for the user to sign in."""

    tenant_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    challenge: str
    response_mode: str
    expires: float


@dataclass(frozen=True)
class Grant:
    """What a code stands for: the request and who signed in."""

    request: AuthorizeRequest
    username: str
    roles: tuple[str, ...]
    expires: float


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(code: str, description: str, status: int = 400) -> web.Response:
    return web.json_response({"error": code, "error_description": description}, status=status)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class BrowserFlow:
    """Pending sign-ins and issued codes live in memory: a restart signs everyone in again."""

    def __init__(self, issuer: DevIssuer) -> None:
        self.issuer = issuer
        self.sessions = Sessions(issuer)
        self._pending: dict[str, AuthorizeRequest] = {}
        self._codes: dict[str, Grant] = {}

    # --- CORS for the console's origin -------------------------------------------------------
    def _allowed_origin(self, request: web.Request) -> str | None:
        origin = request.headers.get("Origin")
        registered = {_origin(uri) for uris in self.issuer.clients.values() for uri in uris}
        return origin if origin in registered else None

    def cors(self, request: web.Request, response: web.Response) -> web.Response:
        origin = self._allowed_origin(request)
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    async def preflight(self, request: web.Request) -> web.Response:
        origin = self._allowed_origin(request)
        if origin is None:
            return web.Response(status=403, text="origin not registered")
        asked = request.headers.get("Access-Control-Request-Headers", "")
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": asked,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )

    # --- sign-in ------------------------------------------------------------------------------
    def _check(self, tenant_id: str, query: dict[str, str]) -> AuthorizeRequest | str:
        """The request, or why it is refused (shown to the user, never redirected)."""
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in self.issuer.clients.get(client_id, set()):
            return "unknown client_id or a redirect_uri not registered for it"
        if query.get("response_type") != "code":
            return "response_type must be code"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "a PKCE code_challenge with code_challenge_method=S256 is required"
        mode = query.get("response_mode", "query")
        if mode not in ("query", "fragment"):
            return "response_mode must be query or fragment"
        scopes = tuple(query.get("scope", "").split())
        if "openid" not in scopes:
            return "the openid scope is required"
        return AuthorizeRequest(
            tenant_id=tenant_id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=query.get("state", ""),
            nonce=query.get("nonce", ""),
            challenge=query["code_challenge"],
            response_mode=mode,
            expires=time.monotonic() + PENDING_TTL_S,
        )

    async def authorize_page(self, request: web.Request) -> web.Response:
        checked = self._check(request.match_info["tid"], dict(request.query))
        if isinstance(checked, str):
            alert = f"<p role='alert'>{html.escape(checked)}</p>"
            return _page("Sign-in request refused", alert, 400)
        self._expire()
        pending = secrets.token_urlsafe(24)
        self._pending[pending] = checked
        form = _form(pending, checked.client_id, "")
        return _page("Sign in (development issuer)", form, client=_origin(checked.redirect_uri))

    async def sign_in(self, request: web.Request) -> web.Response:
        form = await request.post()
        pending = self._pending.get(str(form.get("request", "")))
        if pending is None or pending.expires < time.monotonic():
            return _page("Sign-in expired", "<p role='alert'>Start the sign-in again.</p>", 400)
        username = str(form.get("username", "")).strip()
        roles = tuple(r for r in (str(v) for v in form.getall("roles", [])) if r in ROLES)
        if not username or len(username) > 200:
            body = _form(str(form["request"]), pending.client_id, "Enter a user name.")
            client = _origin(pending.redirect_uri)
            return _page("Sign in (development issuer)", body, 400, client=client)
        del self._pending[str(form["request"])]
        code = secrets.token_urlsafe(32)
        self._codes[code] = Grant(pending, username, roles, time.monotonic() + CODE_TTL_S)
        answer = urlencode({"code": code, "state": pending.state})
        separator = "#" if pending.response_mode == "fragment" else "?"
        raise web.HTTPFound(pending.redirect_uri + separator + answer)

    async def logout(self, request: web.Request) -> web.Response:
        """End-session: revoke the sign-in ``logout_hint`` names, then return to
        ``post_logout_redirect_uri`` with ``state`` (MSAL's popup waits for it there) when that
        is one of the client's registered redirect URIs; any other target is refused, and
        nothing is revoked (a misconfigured client finds out at once)."""
        query = request.query
        session = self.sessions.find(query.get("logout_hint", ""))
        if session is not None and session.tenant_id != request.match_info["tid"]:
            session = None
        client_id = session.client_id if session else query.get("client_id", "")
        target = query.get("post_logout_redirect_uri", "")
        if target and target not in self.issuer.clients.get(client_id, set()):
            refused = "<p role='alert'>post_logout_redirect_uri is not registered here</p>"
            return _page("Sign-out request refused", refused, 400)
        if session is not None:
            self.sessions.end(session.handle)
        if not target:
            return _page("Signed out", "<p>You are signed out of the development issuer.</p>")
        state = query.get("state", "")
        separator = "&" if "?" in target else "?"
        raise web.HTTPFound(target + (separator + urlencode({"state": state}) if state else ""))

    # --- token endpoint (form-encoded): codes and refresh tokens --------------------------------
    async def exchange(self, request: web.Request) -> web.Response:
        form = await request.post()
        field = {key: str(form.get(key, "")) for key in form}
        tenant_id = request.match_info["tid"]
        if field.get("grant_type") == "refresh_token":
            answer = self.sessions.refresh(tenant_id, field)
        elif field.get("grant_type") == "authorization_code":
            answer = self._redeemed(tenant_id, field)
        else:
            return self.cors(request, _oauth_error("unsupported_grant_type", "code or refresh"))
        if isinstance(answer, str):
            return self.cors(request, _oauth_error("invalid_grant", answer))
        response = web.json_response(answer, headers={"Cache-Control": "no-store"})
        return self.cors(request, response)

    def _redeemed(self, tenant_id: str, field: dict[str, str]) -> dict[str, object] | str:
        grant = self._codes.pop(field.get("code", ""), None)  # single use, even when refused
        problem = self._refusal(grant, tenant_id, field)
        if grant is None or problem:
            return problem or "unknown code"
        asked = grant.request
        session = self.sessions.start(
            tenant_id=asked.tenant_id,
            client_id=asked.client_id,
            username=grant.username,
            roles=grant.roles,
            scopes=asked.scopes,
        )
        return self.sessions.tokens(session, asked.scopes, nonce=asked.nonce)

    def _refusal(self, grant: Grant | None, tenant_id: str, field: dict[str, str]) -> str | None:
        verifier = field.get("code_verifier", "")
        problems = (
            (grant is None, "unknown or already redeemed code"),
            (grant is not None and grant.expires < time.monotonic(), "the code has expired"),
            (
                grant is not None and field.get("client_id") != grant.request.client_id,
                "the code was issued to another client",
            ),
            (
                grant is not None and tenant_id != grant.request.tenant_id,
                "the code was issued by another tenant",
            ),
            (
                grant is not None and field.get("redirect_uri") != grant.request.redirect_uri,
                "redirect_uri differs from the authorization request's",
            ),
            (
                not 43 <= len(verifier) <= 128 or not verifier.isascii(),
                "code_verifier must be 43 to 128 ASCII characters",
            ),
        )
        for failed, reason in problems:
            if failed:
                return reason
        assert grant is not None
        if not secrets.compare_digest(s256(verifier), grant.request.challenge):
            return "code_verifier does not match the code_challenge"
        return None

    def _expire(self) -> None:
        now = time.monotonic()
        for store in (self._pending, self._codes):
            for key in [k for k, v in store.items() if v.expires < now]:
                del store[key]


def _form(pending: str, client_id: str, error: str) -> str:
    boxes = "".join(
        f"<label><input type='checkbox' name='roles' value='{r}'> {r}</label>" for r in ROLES
    )
    alert = f"<p role='alert' id='error'>{html.escape(error)}</p>" if error else ""
    described = " aria-describedby='error' aria-invalid='true'" if error else ""
    return (
        f"<p>Development only: sign in to <b>{html.escape(client_id)}</b> as anyone.</p>{alert}"
        "<form method='post'>"
        f"<input type='hidden' name='request' value='{html.escape(pending)}'>"
        "<p><label for='username'>User name</label><br>"
        f"<input id='username' name='username' autocomplete='username' required{described}></p>"
        f"<fieldset><legend>Roles</legend>{boxes}</fieldset>"
        "<p><button type='submit'>Sign in</button></p></form>"
    )


def _page(title: str, body: str, status: int = 200, *, client: str = "") -> web.Response:
    text = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    headers = {
        "Content-Security-Policy": _PAGE_CSP.format(client=client),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)
