"""`__main__.py` runs end to end with each committed sample stack config, under mocks."""

from __future__ import annotations

import pytest
from agent_infra.settings import SettingsError

from tests.harness import Deployment, run_program, stack_config, with_values


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_main_builds_the_platform_from_the_sample_stack(stack: str, request: pytest.FixtureRequest):
    deployment: Deployment = request.getfixturevalue(stack)
    outputs = deployment.outputs
    assert outputs["resource_group"] == f"rg-aica-{stack}"
    assert outputs["function_app_url"] == f"https://{outputs['function_app']}.azurewebsites.net"
    assert outputs["postgres_host"].endswith(".postgres.database.azure.com")
    assert outputs["key_vault_url"].endswith(".vault.azure.net/")
    assert outputs["ollama_host"].startswith("https://ollama-aica-")
    tenants = outputs["tenants"]
    assert tenants["contoso"]["database"] == "tenant_contoso"
    assert tenants["contoso"]["key_uri"].endswith("/keys/tenant-contoso")
    components = {r.type for r in deployment.registrations if r.type.startswith("aica:")}
    assert components == {
        "aica:platform:Network",
        "aica:platform:Observability",
        "aica:platform:Database",
        "aica:platform:PostgresLogins",
        "aica:platform:Vault",
        "aica:platform:PrivateStorage",
        "aica:platform:GpuInference",
        "aica:platform:ModelRegistry",
        "aica:platform:DurableBackend",
        "aica:platform:SandboxPool",
        "aica:platform:FunctionHost",
        "aica:platform:Console",
        "aica:platform:EntraApps",
        "aica:platform:AppAccess",
        "aica:platform:SloAlerts",
        "aica:platform:OperationsWorkbook",
        "aica:tenant:TenantStack",
    }


def test_every_resource_has_a_component_parent(dev: Deployment):
    roots = [r.name for r in dev.registrations if r.parent.endswith("::ai-code-agent-infra-dev")]
    assert sorted(roots) == sorted(
        [
            "platform",
            "network",
            "observability",
            "postgres",
            "postgres-logins",
            "keyvault",
            "artifacts",
            "gpu",
            "model-registry",
            "durable",
            "sandbox",
            "console",
            "entra",
            "functions",
            "app-access",
            "slo",
            "tenant-contoso",
            "tenant-fabrikam",
        ]
    )


def test_an_invalid_config_fails_before_anything_is_registered():
    config = with_values(stack_config("dev"), tenants=[{"slug": "Not A Slug"}])
    with pytest.raises(SettingsError, match="invalid tenant slug"):
        run_program(config, stack="dev")
