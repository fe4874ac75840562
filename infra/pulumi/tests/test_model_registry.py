"""The model registry: MLflow as a Container App behind Entra ID, its own PostgreSQL database,
artifacts in a private Blob container it proxies, the app pointed at it, and the server's image
built from this repository (mlflow-image/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from agent_infra.model_registry import MLFLOW_PORT

from tests.harness import Deployment
from tests.mocks import TENANT_ID
from tests.test_function_app import settings_of
from tests.test_settings import raw_values

REPO = Path(__file__).resolve().parents[3]
IMAGE_DIR = REPO / "mlflow-image"

SERVER = "azure-native:app:ContainerApp"
ACR_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aica-shared"


def test_entra_id_answers_401_before_anything_reaches_mlflow(dev: Deployment):
    auth = dev.one("azure-native:app:ContainerAppsAuthConfig")
    server = dev.one(SERVER, "model-registry-server")
    assert auth.inputs["containerAppName"] == server.outputs["name"]
    assert auth.inputs["platform"] == {"enabled": True}
    assert auth.inputs["globalValidation"]["unauthenticatedClientAction"] == "Return401"
    aad = auth.inputs["identityProviders"]["azureActiveDirectory"]
    registration = dev.named("model-registry-entra")
    client_id = registration.outputs["clientId"]
    assert aad["enabled"] is True and aad["registration"]["clientId"] == client_id
    assert aad["registration"]["openIdIssuer"] == (
        f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
    )
    assert aad["validation"]["allowedAudiences"] == [client_id, f"api://{client_id}"]


def test_only_the_function_app_can_get_a_token_for_the_registry(dev: Deployment):
    """Its own registration (not the admin API's: console users' tokens must not open it), in
    the operators' directory only, v2 tokens (the issuer checked above); its service principal
    requires an app role, held by the Function App's identity alone."""
    registration = dev.named("model-registry-entra")
    assert registration.inputs["signInAudience"] == "AzureADMyOrg"
    assert registration.inputs["api"]["requestedAccessTokenVersion"] == 2
    (role,) = registration.inputs["appRoles"]
    assert role["allowedMemberTypes"] == ["Application"]
    assert registration.outputs["clientId"] != dev.named("entra-api").outputs["clientId"]
    uri = dev.named("model-registry-entra-uri").inputs
    assert uri == {
        "applicationId": registration.id,
        "identifierUri": f"api://{registration.outputs['clientId']}",
    }
    principal = dev.named("model-registry-entra-sp")
    assert principal.inputs["clientId"] == registration.outputs["clientId"]
    assert principal.inputs["appRoleAssignmentRequired"] is True
    assignments = dev.of_type("azuread:index/appRoleAssignment:AppRoleAssignment")
    app = dev.one("azure-native:web:WebApp")
    assert [(a.inputs["principalObjectId"], a.inputs["appRoleId"]) for a in assignments] == [
        (app.outputs["identity"]["principalId"], role["id"])
    ]
    assert assignments[0].inputs["resourceObjectId"] == principal.outputs["objectId"]


def test_the_server_is_reachable_from_the_function_subnet_only(dev: Deployment):
    server = dev.one(SERVER, "model-registry-server")
    env = dev.one("azure-native:app:ManagedEnvironment")
    assert server.inputs["managedEnvironmentId"] == env.id  # the internal environment
    ingress = server.inputs["configuration"]["ingress"]
    assert ingress["allowInsecure"] is False
    assert [r["ipAddressRange"] for r in ingress["ipSecurityRestrictions"]] == ["10.40.0.0/24"]


def test_backend_store_is_its_own_database_with_entra_tokens_and_no_password(dev: Deployment):
    databases = {
        r.inputs["databaseName"] for r in dev.of_type("azure-native:dbforpostgresql:Database")
    }
    assert "mlflow" in databases
    server = dev.one(SERVER, "model-registry-server")
    (container,) = server.inputs["template"]["containers"]
    script = container["command"][-1]
    assert "ossrdbms-aad.database.windows.net" in script and "IDENTITY_ENDPOINT" in script
    assert "/mlflow?sslmode=require" in script and "--serve-artifacts" in script
    env = {e["name"]: e["value"] for e in container["env"]}
    assert "PGPASSWORD" not in env and not any("password" in k.lower() for k in env)
    assert env["ARTIFACTS"].startswith("wasbs://mlflow@staicadevmlf")
    assert env["ARTIFACTS"].endswith(".blob.core.windows.net/")


def test_the_servers_identity_may_write_its_artifacts_and_pull_its_image_only(dev: Deployment):
    identity = dev.one(
        "azure-native:managedidentity:UserAssignedIdentity", "model-registry-identity"
    )
    principal = identity.outputs["principalId"]
    grants = [
        (r.inputs["roleDefinitionId"].rsplit("/", 1)[1], r.inputs["scope"])
        for r in dev.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == principal
    ]
    account = dev.one("azure-native:storage:StorageAccount", "model-registry-artifacts-account")
    registry = dev.one(SERVER, "model-registry-server").inputs["configuration"]["registries"]
    assert [r["server"] for r in registry] == ["aicaregistry.azurecr.io"]
    acr = "/providers/Microsoft.ContainerRegistry/registries/aicaregistry"
    assert sorted(grants) == sorted(
        [
            ("ba92f5b4-2d11-453d-a403-e96b0029c9fe", account.id),  # Blob Data Contributor
            ("7f951dda-4ed3-4680-a7ca-43fe172d538d", f"{ACR_SCOPE}{acr}"),  # AcrPull
        ]
    )


def test_the_app_reads_the_registry_url_and_the_scope_its_tokens_are_for(dev: Deployment):
    env = dev.one("azure-native:app:ManagedEnvironment")
    settings = settings_of(dev)
    server = dev.one(SERVER, "model-registry-server")
    assert settings["MLFLOW_TRACKING_URI"] == (
        f"https://{server.inputs['containerAppName']}.{env.outputs['defaultDomain']}"
    )
    # The audience the server's Entra ID check accepts is the one the app asks tokens for.
    auth = dev.one("azure-native:app:ContainerAppsAuthConfig")
    audiences = auth.inputs["identityProviders"]["azureActiveDirectory"]["validation"]
    scope = settings["MLFLOW_TRACKING_SCOPE"]
    assert scope.endswith("/.default")
    assert scope.removesuffix("/.default") in audiences["allowedAudiences"]


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file (extras dropped)."""
    found = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", path.read_text(), re.M)
    return {name.lower(): version for name, version in found}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_runs_the_image_this_repository_builds(stack: str):
    """The image the stack names is the one mlflow-image/ builds: its tag is the MLflow version
    pinned there, which is the app's own client version (one REST API on both ends)."""
    image = raw_values(stack)["modelRegistry"]["image"]
    repository, tag = image.rsplit(":", 1)
    assert repository.endswith("/aica/mlflow")
    pins = _pins(IMAGE_DIR / "requirements.txt")
    assert tag == pins["mlflow"] == _pins(REPO / "requirements.txt")["mlflow-skinny"]
    assert f"-t aica/mlflow:{tag} ." in (IMAGE_DIR / "Dockerfile").read_text()


def test_the_image_holds_what_the_start_command_uses_and_runs_unprivileged(dev: Deployment):
    (container,) = dev.one(SERVER, "model-registry-server").inputs["template"]["containers"]
    start = container["command"][-1]
    dockerfile = (IMAGE_DIR / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r /opt/mlflow/requirements.txt" in dockerfile
    assert "USER 10001:10001" in dockerfile and f"EXPOSE {MLFLOW_PORT}" in dockerfile
    pins = _pins(IMAGE_DIR / "requirements.txt")
    # The backend store's driver, and Blob artifacts reached with the managed identity.
    assert "postgresql+psycopg://" in start and "psycopg" in pins
    assert {"azure-storage-blob", "azure-identity"} <= set(pins)
    assert "exec mlflow server" in start and "python -c" in start
