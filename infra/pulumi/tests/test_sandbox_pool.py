"""The sandbox session pool: custom containers from sandbox-image/, no egress, and only the
Function App's identity may run code there; its endpoint is wired into the app's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_infra.access import ROLES
from agent_infra.sandbox_pool import AGENT_PORT
from agent_infra.settings import SettingsError

from tests.harness import Deployment
from tests.test_settings import parse, raw_values

IMAGE_DIR = Path(__file__).resolve().parents[3] / "sandbox-image"


def test_the_pool_runs_the_sandbox_image_as_custom_containers_without_egress(dev: Deployment):
    pool = dev.one("azure-native:app:ContainerAppsSessionPool")
    env = dev.one("azure-native:app:ManagedEnvironment")
    assert (pool.inputs["containerType"], pool.inputs["poolManagementType"]) == (
        "CustomContainer",
        "Dynamic",
    )
    assert pool.inputs["sessionNetworkConfiguration"] == {"status": "EgressDisabled"}
    assert pool.inputs["environmentId"] == env.id
    template = pool.inputs["customContainerTemplate"]
    (container,) = template["containers"]
    assert container["image"] == "aicaregistry.azurecr.io/aica/sandbox:1"
    assert template["ingress"] == {"targetPort": AGENT_PORT}
    identity = dev.one("azure-native:managedidentity:UserAssignedIdentity", "sandbox-identity")
    assert template["registryCredentials"] == {
        "server": "aicaregistry.azurecr.io",
        "identity": identity.id,
    }
    lifecycle = pool.inputs["dynamicPoolConfiguration"]["lifecycleConfiguration"]
    assert lifecycle["lifecycleType"] == "Timed"


def test_only_the_function_apps_identity_may_execute_in_the_pool(dev: Deployment):
    pool = dev.one("azure-native:app:ContainerAppsSessionPool")
    app = dev.one("azure-native:web:WebApp")
    role = ROLES["Azure ContainerApps Session Executor"]
    grants = [
        g
        for g in dev.of_type("azure-native:authorization:RoleAssignment")
        if g.inputs["roleDefinitionId"].endswith(role)
    ]
    assert [(g.inputs["scope"], g.inputs["principalId"]) for g in grants] == [
        (pool.id, app.outputs["identity"]["principalId"])
    ]


def test_the_pool_endpoint_and_backend_are_the_apps_settings(dev: Deployment):
    pool = dev.one("azure-native:app:ContainerAppsSessionPool")
    settings = {
        s["name"]: s["value"]
        for s in dev.one("azure-native:web:WebApp").inputs["siteConfig"]["appSettings"]
    }
    assert settings["SANDBOX_POOL_ENDPOINT"] == pool.outputs["poolManagementEndpoint"]
    assert settings["SANDBOX_BACKEND"] == "dynamic-sessions"
    assert settings["SANDBOX_SETUP_NETWORK"] == "none"  # the pool has no egress


def test_a_stack_without_a_sandbox_image_is_refused():
    raw = raw_values("dev")
    raw["sandbox"] = {}
    with pytest.raises(SettingsError, match=r"sandbox\.image: required"):
        parse(raw)


def test_the_image_runs_its_agent_unprivileged_on_the_pools_target_port():
    dockerfile = (IMAGE_DIR / "Dockerfile").read_text()
    assert "COPY --chown=root:root --chmod=0755 agent.py /opt/sandbox/agent.py" in dockerfile
    assert "USER 10001:10001" in dockerfile and f"EXPOSE {AGENT_PORT}" in dockerfile
    assert f'"/opt/sandbox/agent.py", "{AGENT_PORT}"' in dockerfile
    assert all(tool in dockerfile for tool in (" git ", "build-essential", "python"))
