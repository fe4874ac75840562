"""The browser console as an Azure Static Web App, and what its origin needs elsewhere.

The console is static files (the bundle built from ``console/``) that call the admin API on the
Function App's origin with bearer tokens from Entra ID (MSAL.js, authorization code + PKCE).
So:

- The Static Web App serves the bundle with ``staticwebapp.config.json`` (``config_document``):
  a strict Content-Security-Policy (scripts and styles only from the console's origin, no inline
  code, connections only to itself, the API and the Entra authority, never framed) and the usual
  hardening headers; unknown paths fall back to ``index.html`` (client-side routes). Azure takes
  headers only from that file, deployed with the content, so the program exports it for the
  deployment step (see README).
- Preview (staging) environments are disabled: each would be another public origin, serving an
  unreviewed build, that the API's CORS rule does not know.
- The Function App's CORS admits exactly the console's origin (``FunctionHost``); tokens travel
  in the ``Authorization`` header, never cookies, so no credentials mode is allowed.
- The SPA's app registration (redirect URI of type SPA = ``redirect_uri``, the API's exposed
  scope) is declared in ``entra.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
from pulumi_azure_native import web

from agent_infra.naming import Naming
from agent_infra.settings import ConsoleSettings

#: Regions where Static Web Apps can be created (content is served globally from any of them).
STATIC_WEB_APP_REGIONS = frozenset({"westus2", "centralus", "eastus2", "westeurope", "eastasia"})
STATIC_WEB_APP_SKUS = ("Free", "Standard")
#: Bundle files that must never fall back to ``index.html`` (a missing one is a 404).
_NOT_ROUTES = ["/assets/*", "*.{js,css,map,json,svg,png,ico,txt}"]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(api_origin: str, authority: str) -> str:
    """The console's policy: nothing inline, nothing from elsewhere but the API and sign-in."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self' {api_origin} {origin_of(authority)}; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def config_document(api_origin: str, authority: str) -> dict[str, Any]:
    """``staticwebapp.config.json`` of the console."""
    return {
        "navigationFallback": {"rewrite": "/index.html", "exclude": _NOT_ROUTES},
        "globalHeaders": {
            "Content-Security-Policy": content_security_policy(api_origin, authority),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
            "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        },
        "mimeTypes": {".json": "application/json", ".map": "application/json"},
    }


def public_config(api_origin: str) -> str:
    """``console.json`` of a Static Web App deployment: where the bundle finds the admin API
    (its sign-in settings come from the API's ``config.json``, fed by the app settings)."""
    return json.dumps({"api": f"{api_origin}/api/"})


@dataclass(frozen=True)
class ConsoleArgs:
    resource_group_name: pulumi.Input[str]
    naming: Naming
    settings: ConsoleSettings
    api_origin: str  # https://<function app>.azurewebsites.net: known before the app exists
    tags: dict[str, str]


class Console(pulumi.ComponentResource):
    """The Static Web App; ``origin`` is what the API's CORS admits and ``redirect_uri`` what
    the SPA's app registration must list (type SPA)."""

    def __init__(self, name: str, args: ConsoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:Console", name, None, opts)
        s = args.settings
        self.site = web.StaticSite(
            f"{name}-site",
            name=args.naming.regional("swa"),
            resource_group_name=args.resource_group_name,
            location=s.location,
            sku=web.SkuDescriptionArgs(name=s.sku, tier=s.sku),
            staging_environment_policy=web.StagingEnvironmentPolicy.DISABLED,
            allow_config_file_updates=True,  # the headers come from staticwebapp.config.json
            public_network_access="Enabled",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.origin = pulumi.Output.concat("https://", self.site.default_hostname)
        # The sign-in popup returns to the bundle's redirect page (console/src/redirect.html).
        self.redirect_uri = pulumi.Output.concat(self.origin, "/redirect.html")
        self.config_json = json.dumps(config_document(args.api_origin, s.authority), indent=2)
        self.register_outputs({"origin": self.origin, "redirect_uri": self.redirect_uri})
