"""The browser console: its bundled files under ``/api/console/`` and its public sign-in config.

Every answer carries a strict Content-Security-Policy (scripts and styles only from this origin,
no inline code, connections only to this origin and the Entra authority, never framed), and
``nosniff``/``no-referrer``. Only files of the built bundle are served: a path with ``..``, a
backslash, an empty or hidden segment, or one that leaves the bundle after resolving links is a
404. ``config.json?tenant=SLUG`` says where that tenant's users sign in (client id, authority of
the tenant's directory, API scope): public facts, no secret. ``console.json`` tells the bundle
where the API is: here, this app's own ``/api/`` (a Static Web App deployment writes the
Function App's URL into its own copy).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

import azure.functions as func

from functions.http import error_response, json_response
from shared.domain.errors import DomainError, InvalidInput, NotFound

bp = func.Blueprint()
BUNDLE = Path(__file__).resolve().parents[1] / "console" / "dist"
TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def security_headers(authority: str) -> dict[str, str]:
    """The headers of every console answer; ``authority`` is the only other origin it reaches."""
    parts = urlsplit(authority)
    issuer_origin = f"{parts.scheme}://{parts.netloc}"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self' {issuer_origin}; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "no-cache",
    }


def bundle_file(path: str, bundle: Path = BUNDLE) -> Path:
    """The bundle's file at ``path`` (``""``: ``index.html``), or ``NotFound``."""
    if path in ("", "/"):
        path = "index.html"
    segments = path.split("/")
    if "\\" in path or "\0" in path or any(not s or s.startswith(".") for s in segments):
        raise NotFound("no such console file", code="console-file-not-found")
    root = bundle.resolve()
    candidate = root.joinpath(*segments)
    if not candidate.resolve().is_relative_to(root) or not candidate.is_file():
        raise NotFound("no such console file", code="console-file-not-found")
    return candidate


def sign_in_config(tenant: str) -> dict[str, object]:
    """Where users of ``tenant`` sign in: the authority of the tenant's Entra directory."""
    from shared.bootstrap import container
    from shared.domain.tenant import validate_slug

    app = container()
    settings = app.settings
    directory = app.tenants.get(validate_slug(tenant)).settings.get("entra_tenant_id")
    if not isinstance(directory, str) or not directory:
        raise InvalidInput(f"tenant {tenant!r} has no Entra directory", code="no-directory")
    authority = settings.entra_authority.rstrip("/")
    scope = settings.entra_console_scope or f"{settings.entra_audience}/access_as_user"
    return {
        "tenant": tenant,
        "clientId": settings.entra_console_client_id,
        # OIDC protocol mode works with Entra ID's v2.0 endpoints and the development issuer.
        "authority": f"{authority}/{directory}/v2.0",
        "knownAuthorities": [urlsplit(authority).netloc],
        "scopes": [scope],
    }


@bp.route(route="console/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def console(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import container

    headers = security_headers(container().settings.entra_authority)
    path = req.route_params.get("path") or ""
    try:
        if path == "console.json":
            return json_response({"api": "../"}, headers=headers)
        if path == "config.json":
            tenant = req.params.get("tenant", "")
            if not tenant:
                raise InvalidInput("the tenant query parameter is required", code="tenant-required")
            return json_response(sign_in_config(tenant), headers=headers)
        file = bundle_file(path)
    except DomainError as exc:
        response = error_response(exc)
        response.headers.update(headers)
        return response
    mimetype = TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
    return func.HttpResponse(
        file.read_bytes(),
        mimetype=mimetype or "application/octet-stream",
        charset="utf-8",
        headers=headers,
    )
