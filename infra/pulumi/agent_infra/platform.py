"""The composition root: builds every component from the typed settings, in dependency order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, resources

from agent_infra.access import AppAccess, AppAccessArgs
from agent_infra.alerts import SloAlerts, SloAlertsArgs
from agent_infra.console import Console, ConsoleArgs
from agent_infra.data import PLATFORM_DATABASE, Database, DatabaseArgs
from agent_infra.durable import DurableBackend, DurableBackendArgs
from agent_infra.entra import EntraApps, EntraAppsArgs
from agent_infra.function_host import FunctionHost, FunctionHostArgs, function_app_name
from agent_infra.gpu import GpuInference, GpuInferenceArgs
from agent_infra.model_registry import ModelRegistryArgs, ModelRegistryServer
from agent_infra.network import Network, NetworkArgs
from agent_infra.observability import Observability, ObservabilityArgs
from agent_infra.postgres_logins import PostgresLogins, PostgresLoginsArgs
from agent_infra.sandbox_pool import SandboxPool, SandboxPoolArgs
from agent_infra.settings import PlatformSettings
from agent_infra.storage_account import PrivateStorage, StorageArgs
from agent_infra.tags import platform_tags, tenant_tags
from agent_infra.tenant import TenantStack, TenantStackArgs
from agent_infra.vault import Vault, VaultArgs, key_vault_reference

ARTIFACT_CONTAINER = "artifacts"


@dataclass(frozen=True)
class Platform:
    resource_group: resources.ResourceGroup
    network: Network
    observability: Observability
    database: Database
    postgres_logins: PostgresLogins
    vault: Vault
    artifacts: PrivateStorage
    gpu: GpuInference
    model_registry: ModelRegistryServer
    durable: DurableBackend
    sandbox: SandboxPool
    functions: FunctionHost
    console: Console
    entra: EntraApps
    alerts: SloAlerts
    tenants: Mapping[str, TenantStack]


def api_origin(cfg: PlatformSettings) -> str:
    """The Function App's origin, known before the app exists (its name is derived)."""
    return f"https://{function_app_name(cfg.naming)}.azurewebsites.net"


def app_settings(
    cfg: PlatformSettings,
    *,
    postgres_host: pulumi.Input[str],
    postgres_logins: PostgresLogins,
    vault: Vault,
    artifact_blob_endpoint: pulumi.Input[str],
    ollama_url: pulumi.Input[str],
    mlflow_url: pulumi.Input[str],
    mlflow_scope: pulumi.Input[str],
    sandbox_pool_endpoint: pulumi.Input[str],
) -> dict[str, pulumi.Input[str]]:
    """The settings ``shared.config.Settings`` reads in Azure. No secret value appears here:
    secrets are Key Vault references the platform resolves with the app's identity."""
    return {
        "APP_ENVIRONMENT": "azure",
        "PUBLIC_BASE_URL": api_origin(cfg),
        "POSTGRES_HOST": postgres_host,
        "POSTGRES_DATABASE": PLATFORM_DATABASE,
        "POSTGRES_AUTH": "entra",
        **postgres_logins.app_settings,
        "KEY_VAULT_URL": vault.vault_uri,
        "ARTIFACT_BLOB_ACCOUNT_URL": artifact_blob_endpoint,
        "ARTIFACT_BLOB_CONTAINER": ARTIFACT_CONTAINER,
        # Each tenant's blobs under its TenantStack's encryption scope (its own key).
        "ARTIFACT_BLOB_ENCRYPTION_SCOPES": "true",
        "OLLAMA_HOST": ollama_url,
        "MLFLOW_TRACKING_URI": mlflow_url,
        # Entra ID fronts the tracking server: the app's identity asks for tokens of its app
        # registration (see model_registry).
        "MLFLOW_TRACKING_SCOPE": mlflow_scope,
        # Repository checks run in the dynamic-sessions pool, which has no egress: setup gets none.
        "SANDBOX_BACKEND": "dynamic-sessions",
        "SANDBOX_POOL_ENDPOINT": sandbox_pool_endpoint,
        "SANDBOX_SETUP_NETWORK": "none",
        "DURABLE_TASK_HUB": cfg.function_app.durable_task_hub,
        **{setting: key_vault_reference(secret) for setting, secret in vault.secrets.items()},
    }


def build_platform(cfg: PlatformSettings) -> Platform:
    client = authorization.get_client_config_output()
    naming = cfg.naming
    tags = platform_tags(cfg)
    common = {"location": cfg.location, "naming": naming, "tags": tags}
    resource_group = resources.ResourceGroup(
        "platform", resource_group_name=naming.regional("rg"), location=cfg.location, tags=tags
    )
    rg = resource_group.name
    network = Network(
        "network", NetworkArgs(resource_group_name=rg, settings=cfg.network, **common)
    )
    observability = Observability(
        "observability", ObservabilityArgs(resource_group_name=rg, **common)
    )
    database = Database(
        "postgres",
        DatabaseArgs(
            resource_group_name=rg,
            settings=cfg.postgres,
            tenant_id=client.tenant_id,
            delegated_subnet_id=network.subnets["postgres"].id,
            private_dns_zone_id=network.postgres_zone.id,
            network=network,
            **common,
        ),
    )
    vault = Vault(
        "keyvault",
        VaultArgs(
            resource_group_name=rg,
            tenant_id=client.tenant_id,
            network=network,
            secret_names=cfg.function_app.secrets,
            **common,
        ),
    )
    artifacts = PrivateStorage(
        "artifacts",
        StorageArgs(
            resource_group_name=rg,
            location=cfg.location,
            account_name=naming.storage_account("art"),
            network=network,
            tags=tags,
            services=("blob",),
            containers=(ARTIFACT_CONTAINER,),
            system_identity=True,
        ),
    )
    gpu = GpuInference(
        "gpu",
        GpuInferenceArgs(
            resource_group_name=rg,
            settings=cfg.gpu,
            network=network,
            allowed_source_cidr=cfg.network.function_subnet,
            workspace_id=observability.workspace.id,
            subscription_id=client.subscription_id,
            **common,
        ),
    )
    model_registry = ModelRegistryServer(
        "model-registry",
        ModelRegistryArgs(
            resource_group_name=rg,
            settings=cfg.model_registry,
            network=network,
            environment_id=gpu.environment.id,
            environment_domain=gpu.environment.default_domain,
            postgres_server_name=database.server_name,
            postgres_host=database.host,
            allowed_source_cidr=cfg.network.function_subnet,
            tenant_id=client.tenant_id,
            subscription_id=client.subscription_id,
            owner_object_id=client.object_id,
            **common,
        ),
    )
    durable = DurableBackend(
        "durable",
        DurableBackendArgs(
            resource_group_name=rg, settings=cfg.function_app, network=network, **common
        ),
    )
    sandbox = SandboxPool(
        "sandbox",
        SandboxPoolArgs(
            resource_group_name=rg,
            settings=cfg.sandbox,
            environment_id=gpu.environment.id,
            subscription_id=client.subscription_id,
            **common,
        ),
    )
    postgres_logins = PostgresLogins(
        "postgres-logins",
        PostgresLoginsArgs(
            resource_group_name=rg,
            tenant_id=client.tenant_id,
            postgres_server_name=database.server_name,
            database=database,
            **common,
        ),
    )
    console = Console(
        "console",
        ConsoleArgs(
            resource_group_name=rg,
            naming=naming,
            settings=cfg.console,
            api_origin=api_origin(cfg),
            tags=tags,
        ),
    )
    entra = EntraApps(
        "entra",
        EntraAppsArgs(
            naming=naming,
            sign_in_audience=cfg.console.sign_in_audience,
            console_redirect_uri=console.redirect_uri,
            owner_object_id=client.object_id,
        ),
    )
    functions = FunctionHost(
        "functions",
        FunctionHostArgs(
            resource_group_name=rg,
            settings=cfg.function_app,
            network=network,
            observability=observability,
            subscription_id=client.subscription_id,
            user_assigned_identities=postgres_logins.identity_ids,
            app_settings={
                **app_settings(
                    cfg,
                    postgres_host=database.host,
                    postgres_logins=postgres_logins,
                    vault=vault,
                    artifact_blob_endpoint=artifacts.blob_endpoint,
                    ollama_url=gpu.url,
                    mlflow_url=model_registry.url,
                    mlflow_scope=model_registry.scope,
                    sandbox_pool_endpoint=sandbox.endpoint,
                ),
                **durable.app_settings,
                **entra.app_settings(
                    authority=cfg.console.authority, platform_tenant_id=client.tenant_id
                ),
            },
            cors_origins=[console.origin],
            **common,
        ),
    )
    durable.grant(functions.principal_id, client.subscription_id)
    model_registry.grant(functions.principal_id)
    AppAccess(
        "app-access",
        AppAccessArgs(
            principal_id=functions.principal_id,
            subscription_id=client.subscription_id,
            vault_id=vault.vault.id,
            artifact_account_id=artifacts.account.id,
            sandbox_pool_id=sandbox.pool.id,
        ),
    )
    alerts = SloAlerts(
        "slo",
        SloAlertsArgs(
            resource_group_name=rg,
            app_insights_id=observability.app_insights.id,
            app_host_name=functions.default_host_name,
            health_path=cfg.alerts.health_path,
            emails=cfg.alerts.emails,
            **common,
        ),
    )
    tenants = {
        tenant.slug: TenantStack(
            f"tenant-{tenant.slug}",
            TenantStackArgs(
                slug=tenant.slug,
                providers=tenant.providers,
                resource_group_name=rg,
                vault_name=vault.vault_name,
                postgres_server_name=database.server_name,
                artifact_account_name=artifacts.account.name,
                artifact_storage=artifacts,
                artifact_principal_id=artifacts.principal_id,
                app_principal_id=functions.principal_id,
                subscription_id=client.subscription_id,
                tags=tenant_tags(tags, tenant.slug),
            ),
        )
        for tenant in cfg.tenants
    }
    return Platform(
        resource_group,
        network,
        observability,
        database,
        postgres_logins,
        vault,
        artifacts,
        gpu,
        model_registry,
        durable,
        sandbox,
        functions,
        console,
        entra,
        alerts,
        tenants,
    )
