"""GPU inference: internal-only on the GPU workload profile, scale to zero, NFS model cache."""

from __future__ import annotations

import pytest
from agent_infra.settings import SettingsError
from agent_infra.stack_config import parse_settings

from tests.harness import PROJECT, Deployment, stack_config


def test_gpu_app_is_internal_only_on_the_gpu_profile(dev: Deployment):
    env = dev.one("azure-native:app:ManagedEnvironment")
    app = dev.one("azure-native:app:ContainerApp", "gpu-ollama")
    aca_subnet = dev.one("azure-native:network:Subnet", "network-snet-container-apps")
    assert env.inputs["vnetConfiguration"] == {
        "infrastructureSubnetId": aca_subnet.id,
        "internal": True,
    }
    profiles = {p["name"]: p["workloadProfileType"] for p in env.inputs["workloadProfiles"]}
    assert profiles[app.inputs["workloadProfileName"]] == "Consumption-GPU-NC8as-T4"
    assert app.inputs["managedEnvironmentId"] == env.id
    ingress = app.inputs["configuration"]["ingress"]
    assert ingress["targetPort"] == 11434
    assert ingress.get("allowInsecure") is False
    # VNet-wide ingress on an internal environment, narrowed to the Function App's subnet.
    assert ingress["ipSecurityRestrictions"] == [
        {
            "name": "function-app-subnet",
            "action": "Allow",
            "ipAddressRange": "10.40.0.0/24",
            "description": "Function App VNet integration",
        }
    ]


def test_the_environment_domain_resolves_privately_to_the_internal_load_balancer(dev: Deployment):
    env = dev.one("azure-native:app:ManagedEnvironment")
    zone = dev.one("azure-native:privatedns:PrivateZone", "gpu-env-domain")
    assert zone.inputs["privateZoneName"] == env.outputs["defaultDomain"]
    record = dev.one("azure-native:privatedns:PrivateRecordSet")
    assert record.inputs["relativeRecordSetName"] == "*"
    assert record.inputs["aRecords"] == [{"ipv4Address": env.outputs["staticIp"]}]
    assert dev.one("azure-native:privatedns:VirtualNetworkLink", "gpu-env-domain-link")


def test_gpu_app_scales_to_zero_and_keeps_models_on_azure_files(dev: Deployment):
    app = dev.one("azure-native:app:ContainerApp", "gpu-ollama")
    template = app.inputs["template"]
    assert template["scale"]["minReplicas"] == 0
    (container,) = template["containers"]
    assert container["image"] == "aicaregistry.azurecr.io/aica/ollama-gpu:0.12.10-1"
    env_vars = {e["name"]: e["value"] for e in container["env"]}
    assert env_vars["MODELS"] == "qwen2.5-coder:7b"
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == env_vars["OLLAMA_MODELS"]
    (volume,) = template["volumes"]
    assert volume["name"] == mount["volumeName"] and volume["storageType"] == "NfsAzureFile"
    storage = dev.one("azure-native:app:ManagedEnvironmentsStorage")
    assert volume["storageName"] == storage.inputs["storageName"]
    cache = dev.one("azure-native:storage:StorageAccount", "gpu-cache-account")
    nfs = storage.inputs["properties"]["nfsAzureFile"]
    assert nfs["server"] == f"{cache.inputs['accountName']}.file.core.windows.net"
    assert nfs["shareName"] == f"/{cache.inputs['accountName']}/models"
    share = dev.one("azure-native:storage:FileShare")
    assert share.inputs["enabledProtocols"] == "NFS"
    assert cache.inputs["kind"] == "FileStorage"


def test_ollama_url_is_wired_into_the_function_app(dev: Deployment):
    env = dev.one("azure-native:app:ManagedEnvironment")
    app = dev.one("azure-native:app:ContainerApp", "gpu-ollama")
    settings = {
        s["name"]: s["value"]
        for s in dev.one("azure-native:web:WebApp").inputs["siteConfig"]["appSettings"]
    }
    expected = f"https://{app.inputs['containerAppName']}.{env.outputs['defaultDomain']}"
    assert settings["OLLAMA_HOST"] == expected
    assert dev.outputs["ollama_host"] == expected


ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"  # built-in AcrPull role definition id


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_image_the_platform_runs_is_pulled_with_an_acr_pull_grant(stack: str, request):
    deployment: Deployment = request.getfixturevalue(stack)
    identities = {
        r.id: r for r in deployment.of_type("azure-native:managedidentity:UserAssignedIdentity")
    }
    grants = {
        (r.inputs["principalId"], r.inputs["scope"])
        for r in deployment.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{ACR_PULL}")
    }
    apps = deployment.of_type("azure-native:app:ContainerApp")
    images = [(app, c["image"]) for app in apps for c in app.inputs["template"]["containers"]]
    assert images
    for app, image in images:
        host = image.split("/", 1)[0]
        (registry,) = [r for r in app.inputs["configuration"]["registries"] if r["server"] == host]
        principal = identities[registry["identity"]].outputs["principalId"]
        scopes = {scope for p, scope in grants if p == principal}
        assert [s.rsplit("/", 1)[-1] + ".azurecr.io" for s in scopes] == [host]


def test_an_acr_image_without_its_registry_id_is_refused():
    raw = {k.split(":", 1)[1]: v for k, v in stack_config("prod").items() if k.startswith(PROJECT)}
    raw["gpu"] = {k: v for k, v in raw["gpu"].items() if k != "registryResourceId"}
    with pytest.raises(SettingsError, match=r"gpu\.registryResourceId: required"):
        parse_settings(raw, project=PROJECT, stack="prod", location="swedencentral")
    raw["gpu"]["registryResourceId"] = raw["gpu"]["image"]
    with pytest.raises(SettingsError, match=r"gpu\.registryResourceId: required"):
        parse_settings(raw, project=PROJECT, stack="prod", location="swedencentral")
    other = (
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/other"
    )
    raw["gpu"]["registryResourceId"] = other
    with pytest.raises(SettingsError, match=r"not the aicaregistry\.azurecr\.io registry"):
        parse_settings(raw, project=PROJECT, stack="prod", location="swedencentral")
