"""The Entra ID app registrations of the admin API and its browser console (provider ``azuread``).

- **API** (``api``): the resource the app validates tokens for (``shared/auth/entra.py``). Access
  tokens version 2, so a token's issuer is ``<authority>/<tid>/v2.0`` (what the app checks) and its
  audience is the API's client id: that client id is the app's ``ENTRA_AUDIENCE``. The identifier
  URI is ``api://<client id>``, the one form Entra accepts for every sign-in audience without a
  verified domain. It exposes one delegated scope (``access_as_user``) and the app roles of
  ``shared/policies/rbac.py``, assignable to users and groups. Role and scope ids are derived from
  their names (``stable_id``): a redeploy, or a new stack, never renumbers them, so assignments
  and consents made in tenants' directories survive.
  Its service principal does **not** require an app role assignment: where a directory holds
  several platform tenants, roles come from the platform's own role assignments, not the token,
  and such a user must still get a token (the app refuses callers with no role anyway).
- **Console** (``console``): a public SPA client: redirect URIs of type SPA only, exactly the
  Static Web App's redirect URI (authorization code + PKCE); no implicit grant, no web or
  public-client redirect URIs, no secret of any kind. It asks for the API's scope, and the API
  pre-authorizes it for that scope (users are not asked to consent to the API separately).
- Both are multi-tenant (``AzureADMultipleOrgs``) unless the stack's ``console.signInAudience``
  says ``AzureADMyOrg``: tenants sign in from their own directories. What a directory admin
  still does by hand (consent, role assignments) is in README.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pulumi
import pulumi_azuread as azuread

from agent_infra.naming import Naming

#: ``shared/policies/rbac.py``'s ``AppRole``: value -> what it allows (shown when assigning).
APP_ROLES = {
    "PlatformAdmin": "Manage every tenant, its quotas and budgets (operators' directory only).",
    "TenantAdmin": "Administer a tenant: connections, policies, identity links, roles.",
    "Approver": "Approve or reject a tenant's proposed changes.",
    "Auditor": "Read, export and verify a tenant's audit trail and usage.",
    "Viewer": "Read a tenant's tasks and approvals.",
}
CONSOLE_SCOPE = "access_as_user"
SIGN_IN_AUDIENCES = ("AzureADMultipleOrgs", "AzureADMyOrg")
_ID_NAMESPACE = uuid.UUID("5d0c7a47-1a52-4c33-9b1f-2c1e6a0f7e10")


def stable_id(kind: str, value: str) -> str:
    """The id of an app role or scope: the same for the same name in every stack and run."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"ai-code-agent/{kind}/{value}"))


def identifier_uri(client_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("api://", client_id)


@dataclass(frozen=True)
class EntraAppsArgs:
    naming: Naming
    sign_in_audience: str
    console_redirect_uri: pulumi.Input[str]
    owner_object_id: pulumi.Input[str]  # the deploying principal keeps managing the apps


class EntraApps(pulumi.ComponentResource):
    """``app_settings`` are the ``ENTRA_*`` values the Function App reads; ``console_client_id``
    is what the console signs in as."""

    def __init__(self, name: str, args: EntraAppsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:EntraApps", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        owners = [args.owner_object_id]
        self.scope_id = stable_id("scope", CONSOLE_SCOPE)
        self.api = azuread.Application(
            f"{name}-api",
            display_name=args.naming.global_name("api"),
            sign_in_audience=args.sign_in_audience,
            owners=owners,
            api=azuread.ApplicationApiArgs(
                requested_access_token_version=2,
                oauth2_permission_scopes=[
                    azuread.ApplicationApiOauth2PermissionScopeArgs(
                        id=self.scope_id,
                        value=CONSOLE_SCOPE,
                        type="User",
                        enabled=True,
                        admin_consent_display_name="Use the AI Code Agent console",
                        admin_consent_description=(
                            "Lets the console call the AI Code Agent admin API as the "
                            "signed-in user, with that user's roles."
                        ),
                        user_consent_display_name="Use the AI Code Agent console",
                        user_consent_description=(
                            "Lets the console call the AI Code Agent admin API as you."
                        ),
                    )
                ],
            ),
            app_roles=[
                azuread.ApplicationAppRoleArgs(
                    id=stable_id("app-role", role),
                    value=role,
                    display_name=role,
                    description=description,
                    allowed_member_types=["User"],
                    enabled=True,
                )
                for role, description in APP_ROLES.items()
            ],
            # The identifier URI names the client id, known only once the app exists: it is
            # its own resource below, so this one must not reset it.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["identifierUris"]),
        )
        self.api_uri = azuread.ApplicationIdentifierUri(
            f"{name}-api-uri",
            application_id=self.api.id,
            identifier_uri=identifier_uri(self.api.client_id),
            opts=child,
        )
        self.api_principal = azuread.ServicePrincipal(
            f"{name}-api-sp",
            client_id=self.api.client_id,
            app_role_assignment_required=False,
            owners=owners,
            opts=child,
        )
        self.console = azuread.Application(
            f"{name}-console",
            display_name=args.naming.global_name("console"),
            sign_in_audience=args.sign_in_audience,
            owners=owners,
            single_page_application=azuread.ApplicationSinglePageApplicationArgs(
                redirect_uris=[args.console_redirect_uri]
            ),
            web=azuread.ApplicationWebArgs(
                implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                    access_token_issuance_enabled=False, id_token_issuance_enabled=False
                )
            ),
            fallback_public_client_enabled=False,
            required_resource_accesses=[
                azuread.ApplicationRequiredResourceAccessArgs(
                    resource_app_id=self.api.client_id,
                    resource_accesses=[
                        azuread.ApplicationRequiredResourceAccessResourceAccessArgs(
                            id=self.scope_id, type="Scope"
                        )
                    ],
                )
            ],
            opts=child,
        )
        self.console_principal = azuread.ServicePrincipal(
            f"{name}-console-sp", client_id=self.console.client_id, owners=owners, opts=child
        )
        self.pre_authorized = azuread.ApplicationPreAuthorized(
            f"{name}-console-preauthorized",
            application_id=self.api.id,
            authorized_client_id=self.console.client_id,
            permission_ids=[self.scope_id],
            opts=child,
        )
        self.audience = self.api.client_id
        self.console_client_id = self.console.client_id
        self.console_scope = pulumi.Output.concat(self.api_uri.identifier_uri, "/", CONSOLE_SCOPE)
        self.register_outputs(
            {"audience": self.audience, "console_client_id": self.console_client_id}
        )

    def app_settings(
        self, *, authority: str, platform_tenant_id: pulumi.Input[str]
    ) -> dict[str, pulumi.Input[str]]:
        """What ``shared.config.Settings`` reads: tokens of ``authority`` for this API (v2:
        audience = client id); PlatformAdmin honoured in the operators' directory (the one
        deployed into); the console's client id and scope, which the API hands the console
        (``functions/console.py``'s ``config.json``)."""
        return {
            "ENTRA_AUTHORITY": authority,
            "ENTRA_AUDIENCE": self.audience,
            "ENTRA_CONSOLE_CLIENT_ID": self.console_client_id,
            "ENTRA_CONSOLE_SCOPE": self.console_scope,
            "ENTRA_PLATFORM_TENANT_ID": platform_tenant_id,
        }
