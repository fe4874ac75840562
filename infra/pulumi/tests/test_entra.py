"""The admin API's and the console's Entra ID app registrations, and what the app reads of them.

The app's side of the contract is imported from the app itself (``shared/``): the roles it
checks, the issuer it expects (v2), and the audience it validates.
"""

from __future__ import annotations

import uuid

from agent_infra.entra import CONSOLE_SCOPE, stable_id

from shared.auth.entra import EntraTokenValidator
from shared.policies.rbac import AppRole
from tests.harness import Deployment, run_program, stack_config, with_values
from tests.mocks import TENANT_ID
from tests.test_app_contract import infra_settings, load  # noqa: F401 (a fixture)

APPLICATION = "azuread:index/application:Application"


def test_the_api_declares_the_apps_roles_with_ids_that_never_change(dev: Deployment):
    api = dev.named("entra-api")
    roles = {r["value"]: r for r in api.inputs["appRoles"]}
    assert set(roles) == {role.value for role in AppRole}
    for value, role in roles.items():
        assert role["id"] == stable_id("app-role", value)
        assert role["allowedMemberTypes"] == ["User"] and role["enabled"] is True
    scope_ids = [s["id"] for s in api.inputs["api"]["oauth2PermissionScopes"]]
    ids = [r["id"] for r in roles.values()] + scope_ids
    assert len(set(ids)) == len(ids)  # Entra requires unique ids across roles and scopes
    assert all(uuid.UUID(i) for i in ids)


def test_role_and_scope_ids_are_the_same_in_every_stack(dev: Deployment, prod: Deployment):
    def ids(deployment: Deployment) -> list[str]:
        api = deployment.named("entra-api").inputs
        return [r["id"] for r in api["appRoles"]] + [
            s["id"] for s in api["api"]["oauth2PermissionScopes"]
        ]

    assert ids(dev) == ids(prod)
    assert stable_id("app-role", "Viewer") != stable_id("scope", "Viewer")


def test_the_api_exposes_the_console_scope_and_issues_v2_tokens(dev: Deployment):
    api = dev.named("entra-api")
    assert api.inputs["signInAudience"] == "AzureADMultipleOrgs"
    assert api.inputs["api"]["requestedAccessTokenVersion"] == 2
    (scope,) = api.inputs["api"]["oauth2PermissionScopes"]
    assert scope["value"] == CONSOLE_SCOPE and scope["type"] == "User" and scope["enabled"]
    assert "identifierUris" in dev.named("entra-api").ignore_changes
    uri = dev.named("entra-api-uri").inputs
    assert uri == {"applicationId": api.id, "identifierUri": f"api://{api.outputs['clientId']}"}
    principal = dev.named("entra-api-sp").inputs
    assert principal["clientId"] == api.outputs["clientId"]
    # Roles may come from the platform's own assignments: users without an app role still sign in.
    assert principal["appRoleAssignmentRequired"] is False


def test_the_console_is_a_public_spa_on_its_own_origin_only(dev: Deployment):
    console = dev.named("entra-console").inputs
    api = dev.named("entra-api")
    redirect_uri = dev.outputs["console_redirect_uri"]
    assert console["singlePageApplication"] == {"redirectUris": [redirect_uri]}
    assert redirect_uri.startswith(dev.outputs["console_url"] + "/")
    assert console["web"] == {
        "implicitGrant": {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}
    }
    assert "publicClient" not in console and console["fallbackPublicClientEnabled"] is False
    assert "password" not in console
    assert console["signInAudience"] == api.inputs["signInAudience"]
    (access,) = console["requiredResourceAccesses"]
    assert access == {
        "resourceAppId": api.outputs["clientId"],
        "resourceAccesses": [{"id": stable_id("scope", CONSOLE_SCOPE), "type": "Scope"}],
    }
    secrets = {"azuread:index/applicationPassword:ApplicationPassword",
               "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"}  # fmt: skip
    assert not [r for r in dev.registrations if r.type in secrets]


def test_the_api_pre_authorizes_the_console_for_its_scope_only(dev: Deployment):
    pre = dev.named("entra-console-preauthorized").inputs
    assert pre == {
        "applicationId": dev.named("entra-api").id,
        "authorizedClientId": dev.named("entra-console").outputs["clientId"],
        "permissionIds": [stable_id("scope", CONSOLE_SCOPE)],
    }
    console_sp = dev.named("entra-console-sp").inputs
    assert console_sp["clientId"] == dev.named("entra-console").outputs["clientId"]


def test_the_app_validates_tokens_for_the_declared_api(dev: Deployment, load):  # noqa: F811
    values = infra_settings(dev)
    api = dev.named("entra-api")
    settings = load(values)
    # v2 access tokens name the API's client id as audience, and <authority>/<tid>/v2.0 as issuer.
    assert settings.entra_audience == api.outputs["clientId"]
    assert settings.entra_authority == "https://login.microsoftonline.com"
    validator = EntraTokenValidator(
        authority=settings.entra_authority, audience=settings.entra_audience
    )
    assert validator.issuer_for(TENANT_ID) == f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
    assert settings.entra_platform_tenant_id == TENANT_ID  # the directory deployed into
    assert dev.outputs["entra_audience"] == api.outputs["clientId"]
    assert dev.outputs["console_client_id"] == dev.named("entra-console").outputs["clientId"]
    assert dev.outputs["console_scope"] == f"api://{api.outputs['clientId']}/{CONSOLE_SCOPE}"
    # The console signs in as its registration and asks for the declared scope.
    assert settings.entra_console_client_id == dev.outputs["console_client_id"]
    assert settings.entra_console_scope == dev.outputs["console_scope"]


def test_the_console_json_points_the_bundle_at_the_api(dev: Deployment):
    assert dev.outputs["console_json"] == f'{{"api": "{dev.outputs["function_app_url"]}/api/"}}'


def test_a_single_directory_platform_registers_both_apps_for_it_alone():
    config = stack_config("dev")
    console = {**config.get("ai-code-agent-infra:console", {}), "signInAudience": "AzureADMyOrg"}
    deployment = run_program(with_values(config, console=console), stack="dev")
    audiences = {r.name: r.inputs["signInAudience"] for r in deployment.of_type(APPLICATION)}
    assert audiences == {
        "entra-api": "AzureADMyOrg",
        "entra-console": "AzureADMyOrg",
        "model-registry-entra": "AzureADMyOrg",
    }
