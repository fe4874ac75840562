"""Guardrails for the Entra ID app registrations (provider ``azuread``).

A browser app is a public client: anything it holds, every visitor holds. So no registration may
issue tokens by the implicit grant (tokens in URL fragments, no PKCE); every redirect URI is https
on the console's own origin (the stack's Static Web App), never a wildcard, another host or
``http://localhost``; and a single-page application has no password credential, neither on the
application nor on its service principal. The last two rules need the whole stack (the console's
host name is an output of another resource), so they are stack validations and read the
resources' outputs; unknown values (a preview before the site exists) skip the check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

APPLICATION = "azuread:index/application:Application"
REDIRECT_URIS = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APP_CREDENTIAL = "azuread:index/applicationPassword:ApplicationPassword"
PRINCIPAL_CREDENTIAL = "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"
STATIC_SITE = "azure-native:web:StaticSite"

Report = Callable[..., None]


def _block(props: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = props.get(key)
    return value if isinstance(value, Mapping) else {}


def no_implicit_grant(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != APPLICATION:
        return
    grant = _block(_block(args.props, "web"), "implicitGrant")
    for flag in ("accessTokenIssuanceEnabled", "idTokenIssuanceEnabled"):
        if grant.get(flag) is True:
            report(f"{args.name}: the implicit grant ({flag}) must stay off: use code + PKCE")


def _redirect_uris(props: Mapping[str, Any]) -> Iterable[str]:
    for block in ("singlePageApplication", "web", "publicClient"):
        yield from _block(props, block).get("redirectUris") or []


def redirects_on_console_origin(args: StackValidationArgs, report: Report) -> None:
    origins = {
        f"https://{r.props.get('defaultHostname')}"
        for r in args.resources
        if r.resource_type == STATIC_SITE
    }
    for r in args.resources:
        if r.resource_type == APPLICATION:
            uris = list(_redirect_uris(r.props))
        elif r.resource_type == REDIRECT_URIS:
            uris = list(r.props.get("redirectUris") or [])
        else:
            continue
        for uri in uris:
            parts = urlsplit(str(uri))
            origin = f"{parts.scheme}://{parts.netloc}"
            if parts.scheme != "https" or origin not in origins or "*" in str(uri):
                report(f"{r.name}: redirect URI {uri!r} is not https on the console's origin")


def _object_id(reference: Any) -> str:
    """``/applications/<object id>`` (a resource id) or a bare object id -> the object id."""
    return str(reference).rsplit("/", 1)[-1]


def spa_without_secrets(args: StackValidationArgs, report: Report) -> None:
    spas = [
        r
        for r in args.resources
        if r.resource_type == APPLICATION
        and _block(r.props, "singlePageApplication").get("redirectUris")
    ]
    spa_objects = {r.props.get("objectId") for r in spas}
    spa_clients = {r.props.get("clientId") for r in spas}
    spa_principals = {
        r.props.get("objectId")
        for r in args.resources
        if r.resource_type == SERVICE_PRINCIPAL and r.props.get("clientId") in spa_clients
    }
    for r in spas:
        if r.props.get("password"):
            report(f"{r.name}: a single-page application must have no password")
    for r in args.resources:
        if (
            r.resource_type == APP_CREDENTIAL
            and _object_id(r.props.get("applicationId")) in spa_objects
        ) or (
            r.resource_type == PRINCIPAL_CREDENTIAL
            and _object_id(r.props.get("servicePrincipalId")) in spa_principals
        ):
            report(f"{r.name}: a password for a single-page application (a public client)")


ENTRA_POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="entra-no-implicit-grant",
        description="App registrations issue no tokens by the implicit grant.",
        validate=no_implicit_grant,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="entra-redirects-console-origin",
        description="Every redirect URI is https on the console's own origin.",
        validate=redirects_on_console_origin,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="entra-spa-without-secrets",
        description="Single-page applications hold no password credentials.",
        validate=spa_without_secrets,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
