"""Durable backend: the Durable Task Scheduler by default, private and by identity; Azure
Storage as the configured fallback."""

from __future__ import annotations

import pytest
from agent_infra.durable import CONNECTION_SETTING, PROVIDER_OVERRIDE
from agent_infra.settings import SettingsError
from agent_infra.stack_config import parse_settings

from tests.checks import endpoints_for
from tests.harness import PROJECT, Deployment, run_program, stack_config, with_values

SCHEDULER = "azure-native:durabletask:Scheduler"
TASK_HUB = "azure-native:durabletask:TaskHub"
ROLE = "azure-native:authorization:RoleAssignment"
DATA_CONTRIBUTOR = "0ad04412-c4d5-4796-b79c-f76d14c8d402"  # Durable Task Data Contributor


def settings_of(deployment: Deployment) -> dict[str, str]:
    app = deployment.one("azure-native:web:WebApp")
    return {s["name"]: s["value"] for s in app.inputs["siteConfig"]["appSettings"]}


def test_the_scheduler_and_its_task_hub_are_private(dev: Deployment):
    scheduler = dev.one(SCHEDULER)
    properties = scheduler.inputs["properties"]
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["ipAllowlist"] == []
    assert properties["sku"] == {"name": "Dedicated", "capacity": 1}
    assert endpoints_for(dev, scheduler.id) == ["scheduler"]
    zones = {
        r.inputs["privateZoneName"] for r in dev.of_type("azure-native:privatedns:PrivateZone")
    }
    assert "privatelink.durabletask.io" in zones
    hub = dev.one(TASK_HUB)
    assert hub.inputs["schedulerName"] == scheduler.inputs["schedulerName"]
    assert hub.inputs["taskHubName"] == "aicodeagent"


def test_the_app_reaches_the_task_hub_by_identity_only(dev: Deployment):
    scheduler = dev.one(SCHEDULER)
    endpoint = scheduler.outputs["properties"]["endpoint"]
    settings = settings_of(dev)
    assert settings[CONNECTION_SETTING] == f"Endpoint={endpoint};Authentication=ManagedIdentity"
    assert PROVIDER_OVERRIDE not in settings
    principal = dev.one("azure-native:web:WebApp").outputs["identity"]["principalId"]
    grants = [
        r
        for r in dev.of_type(ROLE)
        if r.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{DATA_CONTRIBUTOR}")
    ]
    assert [(g.inputs["principalId"], g.inputs["scope"]) for g in grants] == [
        (principal, dev.one(TASK_HUB).id)
    ]


def test_azure_storage_is_the_configured_fallback():
    config = stack_config("dev")
    function_app = {**config[f"{PROJECT}:functionApp"], "durableBackend": "storage"}
    fallback = run_program(with_values(config, functionApp=function_app), stack="dev")
    assert fallback.of_type(SCHEDULER) == [] and fallback.of_type(TASK_HUB) == []
    settings = settings_of(fallback)
    assert settings[PROVIDER_OVERRIDE] == "AzureStorage"
    assert CONNECTION_SETTING not in settings
    assert not [
        r for r in fallback.of_type(ROLE) if r.inputs["roleDefinitionId"].endswith(DATA_CONTRIBUTOR)
    ]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"durableBackend": "netherite"}, "functionApp.durableBackend: one of"),
        ({"schedulerSku": "Premium"}, "functionApp.schedulerSku: one of"),
        ({"schedulerCapacity": 0}, "functionApp.schedulerCapacity: at least 1"),
    ],
)
def test_an_unknown_backend_or_sku_is_refused(values: dict, problem: str):
    prefix = f"{PROJECT}:"
    raw = {k[len(prefix) :]: v for k, v in stack_config("dev").items() if k.startswith(prefix)}
    raw["functionApp"] = {**raw["functionApp"], **values}
    with pytest.raises(SettingsError, match=problem):
        parse_settings(raw, project=PROJECT, stack="dev", location="swedencentral")
