"""The Function App: Flex Consumption, Python 3.11, identity everywhere, Key Vault references."""

from __future__ import annotations

import re

from tests.harness import Deployment

APP = "azure-native:web:WebApp"
ROLE = "azure-native:authorization:RoleAssignment"


def settings_of(deployment: Deployment) -> dict[str, str]:
    app = deployment.one(APP)
    return {s["name"]: s["value"] for s in app.inputs["siteConfig"]["appSettings"]}


def test_secret_settings_are_key_vault_references_to_existing_secrets(dev: Deployment):
    settings = settings_of(dev)
    vault = dev.one("azure-native:keyvault:Vault")
    vault_uri = vault.outputs["properties"]["vaultUri"]
    secrets = {
        r.inputs["secretName"]
        for r in dev.of_type("azure-native:keyvault:Secret")
        if r.inputs["vaultName"] == vault.inputs["vaultName"]
    }
    for setting, secret in (
        ("OPENAI_API_KEY", "openai-api-key"),
        ("ANTHROPIC_API_KEY", "anthropic-api-key"),
    ):
        assert settings[setting] == f"@Microsoft.KeyVault(SecretUri={vault_uri}secrets/{secret})"
        assert secret in secrets
    assert settings["KEY_VAULT_URL"] == vault_uri


def test_settings_are_the_names_the_app_reads_with_values_from_the_platform(dev: Deployment):
    settings = settings_of(dev)
    server = dev.one("azure-native:dbforpostgresql:Server")
    host_storage = dev.one("azure-native:storage:StorageAccount", "functions-storage-account")
    artifacts = dev.one("azure-native:storage:StorageAccount", "artifacts-account")
    app = dev.one(APP)
    assert settings["APP_ENVIRONMENT"] == "azure"
    assert settings["POSTGRES_HOST"] == server.outputs["fullyQualifiedDomainName"]
    assert settings["POSTGRES_DATABASE"] == "platform"
    assert settings["POSTGRES_AUTH"] == "entra"
    logins = {
        r.inputs["resourceName"]: r
        for r in dev.of_type("azure-native:managedidentity:UserAssignedIdentity")
    }
    app_login, provisioner = logins["id-pg-app-aica-dev"], logins["id-pg-provisioner-aica-dev"]
    assert settings["POSTGRES_USER"] == "id-pg-app-aica-dev"
    assert settings["POSTGRES_CLIENT_ID"] == app_login.outputs["clientId"]
    assert settings["POSTGRES_OBJECT_ID"] == app_login.outputs["principalId"]
    assert settings["POSTGRES_ADMIN_USER"] == "id-pg-provisioner-aica-dev"
    assert settings["POSTGRES_ADMIN_CLIENT_ID"] == provisioner.outputs["clientId"]
    assert set(app.inputs["identity"]["userAssignedIdentities"]) == {
        app_login.id,
        provisioner.id,
    }
    assert settings["ARTIFACT_BLOB_ACCOUNT_URL"] == artifacts.outputs["primaryEndpoints"]["blob"]
    assert settings["AzureWebJobsStorage__accountName"] == host_storage.inputs["accountName"]
    assert settings["DURABLE_TASK_HUB"] == "aicodeagent"
    assert settings["APPLICATIONINSIGHTS_CONNECTION_STRING"].startswith("InstrumentationKey=")
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"
    assert re.fullmatch(
        r"https://ollama-aica-dev\.[a-z0-9.-]+\.azurecontainerapps\.io", settings["OLLAMA_HOST"]
    )
    # Identity-based: no connection strings, no keys, and no settings Flex Consumption rejects.
    for absent in (
        "DATABASE_URL",
        "AzureWebJobsStorage",
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    ):
        assert absent not in settings
    for value in settings.values():
        assert "AccountKey=" not in value and "SharedAccessSignature" not in value
        assert "placeholder" not in value


def test_function_app_is_flex_consumption_python_311_in_the_vnet(dev: Deployment):
    plan = dev.one("azure-native:web:AppServicePlan")
    app = dev.one(APP)
    subnet = dev.one("azure-native:network:Subnet", "network-snet-function")
    assert plan.inputs["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert app.inputs["serverFarmId"] == plan.id
    assert app.inputs["kind"] == "functionapp,linux"
    config = app.inputs["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    storage = config["deployment"]["storage"]
    assert storage["authentication"]["type"] == "SystemAssignedIdentity"
    assert storage["value"].endswith(".blob.core.windows.net/deployments")
    # Its own identity for everything but PostgreSQL, whose two logins are identities of their own.
    assert app.inputs["identity"]["type"] == "SystemAssigned, UserAssigned"
    assert app.inputs["virtualNetworkSubnetId"] == subnet.id
    assert app.inputs["httpsOnly"] is True


def test_app_identity_gets_only_the_roles_it_needs_on_the_narrowest_scopes(dev: Deployment):
    app = dev.one(APP)
    principal = app.outputs["identity"]["principalId"]
    grants = {}
    for r in dev.of_type(ROLE):
        if r.inputs["principalId"] == principal:
            role = r.inputs["roleDefinitionId"].rsplit("/", 1)[1]
            grants.setdefault(role, set()).add(r.inputs["scope"].rsplit("/", 2)[-2])
    assert grants == {
        "4633458b-17de-408a-b874-0445c86b69e6": {"Vault"},  # Key Vault Secrets User
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe": {"StorageAccount"},  # Blob Data Contributor
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": {"StorageAccount"},  # Blob Data Owner (host)
        "974c5e8b-45b9-4653-ba55-5f855dd0a49b": {"StorageAccount"},  # Queue Data Contributor
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": {"StorageAccount"},  # Table Data Contributor
        "3913510d-42f4-4e42-8a64-420c390055eb": {"Component"},  # Monitoring Metrics Publisher
        "12338af0-0e69-4776-bea7-57ae8d297424": {"Key"},  # Key Vault Crypto User, per tenant key
        "0ad04412-c4d5-4796-b79c-f76d14c8d402": {"TaskHub"},  # Durable Task Data Contributor
        "0fb8eba5-a2bb-4abe-b1c1-49dfad359bb0": {"ContainerAppsSessionPool"},  # Session Executor
    }
    # Not the server's Entra ID administrator: that is the provisioner's identity alone.
    [admin] = dev.of_type("azure-native:dbforpostgresql:Administrator")
    assert admin.inputs["objectId"] != principal
    assert admin.inputs["principalName"] == "id-pg-provisioner-aica-dev"
    assert admin.inputs["principalType"] == "ServicePrincipal"
