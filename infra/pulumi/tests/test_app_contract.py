"""The app runs as the infrastructure provisions it: a contract between this program and the app.

The app settings the program puts on the Function App (taken from the mocks) load into the app's
own ``Settings`` in Azure mode and pass its start-up validation; every setting the app requires in
Azure is set; every setting set is one the app or the Functions host reads. Per tenant, the Key
Vault key and secrets, the database and the blob container are the ones the app's adapters use.
The app (two levels up) is importable here through ``pytest.ini``; the program never imports it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_infra.durable import CONNECTION_SETTING, PROVIDER_OVERRIDE

from shared.adapters.artifacts.blob import encryption_scope
from shared.adapters.keys.keyvault import key_vault_key_name
from shared.adapters.secrets.keyvault import key_vault_secret_name
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.auth.webhooks import secret_names
from shared.config import AZURE_REQUIRED, Settings, load_settings
from shared.domain.errors import ConfigurationError
from shared.domain.task import Provider
from shared.domain.tenant import validate_slug
from tests.harness import PROJECT, Deployment, stack_config

APP = "azure-native:web:WebApp"
# Settings the Functions host (not the app's code) reads, and why the app never needs them.
READ_BY_THE_HOST = {
    "AzureWebJobsStorage__accountName": "the host's own storage account, by identity",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Entra ID auth for the host's telemetry",
    CONNECTION_SETTING: "the Durable Task Scheduler, named by host.json",
    PROVIDER_OVERRIDE: "the Azure Storage fallback's override of host.json",
}
HOST_JSON = Path(__file__).resolve().parents[3] / "host.json"
APP_SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def infra_settings(deployment: Deployment) -> dict[str, str]:
    app = deployment.one(APP)
    return {s["name"]: s["value"] for s in app.inputs["siteConfig"]["appSettings"]}


@pytest.fixture
def load(tmp_path, monkeypatch):
    """Load settings as the app does in Azure: from these app settings alone (nothing from this
    machine's environment or a local.settings.json)."""
    for name in APP_SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)

    def loader(values: dict[str, str]) -> Settings:
        app_values = {k.lower(): v for k, v in values.items() if k not in READ_BY_THE_HOST}
        return load_settings(tmp_path, **app_values)

    return loader


@pytest.fixture(params=["dev", "prod"])
def stack_name(request) -> str:
    return request.param


@pytest.fixture
def stack(stack_name: str, request) -> Deployment:
    return request.getfixturevalue(stack_name)


def test_the_infrastructure_settings_load_into_the_app_in_azure_mode(stack: Deployment, load):
    values = infra_settings(stack)
    settings = load(values)
    assert settings.app_environment == "azure"
    assert settings.postgres_host == values["POSTGRES_HOST"]
    assert settings.postgres_auth == "entra"
    assert settings.database_url is None
    assert settings.key_vault_url == values["KEY_VAULT_URL"]
    assert settings.artifact_blob_account_url == values["ARTIFACT_BLOB_ACCOUNT_URL"]


def test_every_setting_the_app_requires_in_azure_is_set(stack: Deployment):
    values = infra_settings(stack)
    assert [name for name in AZURE_REQUIRED if not values.get(name)] == []


@pytest.mark.parametrize("name", AZURE_REQUIRED)
def test_without_a_required_setting_the_app_refuses_to_start_and_names_it(
    dev: Deployment, load, name: str
):
    values = {k: v for k, v in infra_settings(dev).items() if k != name}
    with pytest.raises(ConfigurationError, match=f"required in Azure: .*{name}"):
        load(values)


def test_every_setting_set_is_read_by_the_app_or_the_host(stack: Deployment):
    unknown = set(infra_settings(stack)) - APP_SETTING_NAMES - set(READ_BY_THE_HOST)
    assert unknown == set(), "settings nobody reads (a typo, or a setting the app dropped)"


def test_the_app_logs_in_to_the_database_the_infrastructure_creates(stack: Deployment, load):
    values = infra_settings(stack)
    databases = {
        r.inputs["databaseName"] for r in stack.of_type("azure-native:dbforpostgresql:Database")
    }
    assert values["POSTGRES_DATABASE"] in databases
    settings = load(values)
    identities = {
        r.outputs["id"]: r
        for r in stack.of_type("azure-native:managedidentity:UserAssignedIdentity")
    }
    carried = stack.one(APP).inputs["identity"]["userAssignedIdentities"]
    by_client = {identities[i].outputs["clientId"]: identities[i] for i in carried}
    # Two logins, two identities the Function App carries: the settings name each one's.
    app = by_client[settings.postgres_client_id]
    provisioner = by_client[settings.postgres_admin_client_id]
    assert app is not provisioner
    assert settings.postgres_user == app.inputs["resourceName"]
    assert settings.postgres_object_id == app.outputs["principalId"]
    assert settings.postgres_admin_user == provisioner.inputs["resourceName"]
    # The provisioner is the server's only Entra ID administrator; the app's login is not one.
    admin = stack.one("azure-native:dbforpostgresql:Administrator")
    assert admin.inputs["principalName"] == settings.postgres_admin_user
    assert admin.inputs["objectId"] == provisioner.outputs["principalId"]


def test_the_artifact_container_exists_on_the_artifact_account(stack: Deployment):
    values = infra_settings(stack)
    accounts = {
        r.outputs["primaryEndpoints"]["blob"]: r.inputs["accountName"]
        for r in stack.of_type("azure-native:storage:StorageAccount")
    }
    account = accounts[values["ARTIFACT_BLOB_ACCOUNT_URL"]]
    containers = {
        (r.inputs["accountName"], r.inputs["containerName"])
        for r in stack.of_type("azure-native:storage:BlobContainer")
    }
    assert (account, values["ARTIFACT_BLOB_CONTAINER"]) in containers


def _tenant_resources(stack: Deployment) -> dict[str, list]:
    return {
        r.name.removeprefix("tenant-"): stack.children_of(r.urn)
        for r in stack.of_type("aica:tenant:TenantStack")
    }


def test_each_tenant_uploads_under_the_encryption_scope_of_its_own_key(stack: Deployment, load):
    values = infra_settings(stack)
    assert load(values).artifact_blob_encryption_scopes is True
    accounts = {
        r.outputs["primaryEndpoints"]["blob"]: r.inputs["accountName"]
        for r in stack.of_type("azure-native:storage:StorageAccount")
    }
    for slug, resources in _tenant_resources(stack).items():
        [scope] = [r for r in resources if r.type == "azure-native:storage:EncryptionScope"]
        [key] = [r for r in resources if r.type == "azure-native:keyvault:Key"]
        assert scope.inputs["encryptionScopeName"] == encryption_scope(slug)
        assert scope.inputs["accountName"] == accounts[values["ARTIFACT_BLOB_ACCOUNT_URL"]]
        assert scope.inputs["keyVaultProperties"]["keyUri"] == key.outputs["keyUri"]


def test_each_tenant_has_the_key_vault_key_and_webhook_secrets_the_app_reads(
    stack: Deployment, stack_name: str
):
    tenants = _tenant_resources(stack)
    config = {t["slug"]: t["providers"] for t in stack_config(stack_name)[f"{PROJECT}:tenants"]}
    assert set(tenants) == set(config)
    for slug, resources in tenants.items():
        keys = [r.inputs["keyName"] for r in resources if r.type == "azure-native:keyvault:Key"]
        assert keys == [key_vault_key_name(slug)]
        created = {
            r.inputs["secretName"] for r in resources if r.type == "azure-native:keyvault:Secret"
        }
        for provider in config[slug]:
            for current, _previous in secret_names(Provider(provider)).values():
                assert key_vault_secret_name(slug, current) in created, (slug, current)


def test_each_tenant_database_is_the_one_the_app_tenant_directory_uses(stack: Deployment):
    """The app provisions into (adopts) the TenantStack's database, as the tenant's own role."""
    # Naming only: the directory does no I/O until a method that needs the database is called.
    directory = PostgresTenantDirectory(None, role_prefix=Settings().tenant_role_prefix)
    for slug, resources in _tenant_resources(stack).items():
        validate_slug(slug)  # every slug the infrastructure accepts is one the app accepts
        (database,) = [
            r.inputs["databaseName"]
            for r in resources
            if r.type == "azure-native:dbforpostgresql:Database"
        ]
        location = directory._location_for(slug)
        assert location.database == database
        assert len(location.role.encode()) <= 63  # PostgreSQL truncates longer identifiers


def test_host_json_finds_its_durable_backend_in_the_settings(stack: Deployment):
    """The task hub is the one ``hubName`` names, and ``host.json``'s provider reads its
    connection from a setting the infrastructure sets."""
    durable = json.loads(HOST_JSON.read_text())["extensions"]["durableTask"]
    values = infra_settings(stack)
    assert durable["hubName"] == "%DURABLE_TASK_HUB%"
    (hub,) = stack.of_type("azure-native:durabletask:TaskHub")
    assert hub.inputs["taskHubName"] == values["DURABLE_TASK_HUB"]
    provider = durable["storageProvider"]
    assert provider["type"] == "azureManaged"
    assert values[provider["connectionStringName"]].endswith(";Authentication=ManagedIdentity")
