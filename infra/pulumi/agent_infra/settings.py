"""Typed stack settings: frozen dataclasses built once by ``stack_config.load_settings``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agent_infra.naming import Naming

# Regions with an Azure paired region, where PostgreSQL geo-redundant backup can be enabled.
GEO_BACKUP_REGIONS = frozenset(
    {
        "australiaeast", "brazilsouth", "canadacentral", "centralindia", "centralus",
        "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral", "japaneast",
        "koreacentral", "northcentralus", "northeurope", "norwayeast", "southafricanorth",
        "southcentralus", "southeastasia", "swedencentral", "switzerlandnorth", "uaenorth",
        "uksouth", "westeurope", "westus", "westus2", "westus3",
    }
)  # fmt: skip
# Regions with serverless GPUs for Container Apps when this was written (quota still needed).
SERVERLESS_GPU_REGIONS = frozenset({"australiaeast", "swedencentral", "westus3"})
PRODUCTION = "prod"
MIN_ACA_SUBNET_PREFIX = 27  # a workload-profiles environment needs at least a /27
SUBNET_FIELDS = (
    "function_subnet",
    "private_endpoint_subnet",
    "postgres_subnet",
    "container_apps_subnet",
)


SCM_PROVIDERS = ("github", "gitlab", "azure-devops")


class SettingsError(ValueError):
    """The stack configuration is invalid; the message lists every problem."""


@dataclass(frozen=True)
class TenantSettings:
    slug: str
    display_name: str
    providers: tuple[str, ...] = ("github",)  # SCMs whose webhook and token secrets it needs


@dataclass(frozen=True)
class NetworkSettings:
    address_space: str = "10.40.0.0/16"
    function_subnet: str = "10.40.0.0/24"
    private_endpoint_subnet: str = "10.40.1.0/24"
    postgres_subnet: str = "10.40.2.0/24"
    container_apps_subnet: str = "10.40.4.0/23"


@dataclass(frozen=True)
class PostgresSettings:
    version: str = "16"
    sku_name: str = "Standard_D2ds_v5"
    sku_tier: str = "GeneralPurpose"
    storage_gb: int = 128
    high_availability: bool = True
    backup_retention_days: int = 14
    geo_redundant_backup: bool = True
    primary_zone: str = "1"
    standby_zone: str = "2"


@dataclass(frozen=True)
class FunctionAppSettings:
    maximum_instance_count: int = 40
    instance_memory_mb: int = 2048
    durable_task_hub: str = "aicodeagent"
    # Durable Functions' backend: "scheduler" (Durable Task Scheduler) or "storage" (the Azure
    # Storage provider, the fallback); see agent_infra/durable.py.
    durable_backend: str = "scheduler"
    scheduler_sku: str = "Dedicated"
    scheduler_capacity: int = 1  # Dedicated capacity units (about 1,000 activities/s each)
    # App setting name -> Key Vault secret name; values are Key Vault references.
    secrets: Mapping[str, str] = field(
        default_factory=lambda: {
            "OPENAI_API_KEY": "openai-api-key",
            "ANTHROPIC_API_KEY": "anthropic-api-key",
        }
    )


@dataclass(frozen=True)
class GpuSettings:
    image: str
    registry_server: str | None = None
    registry_resource_id: str | None = None
    profile_type: str = "Consumption-GPU-NC8as-T4"
    profile_name: str = "gpu-t4"
    cpu: float = 8.0
    memory: str = "56Gi"
    max_replicas: int = 1
    cooldown_seconds: int = 1800
    models: tuple[str, ...] = ("qwen2.5-coder:14b",)
    model_cache_gb: int = 256


@dataclass(frozen=True)
class ModelRegistrySettings:
    """The MLflow tracking server (``model_registry``): an image with mlflow, psycopg2 and
    azure-storage-blob (its app registration is declared, not configured)."""

    image: str
    registry_server: str | None = None
    registry_resource_id: str | None = None
    cpu: float = 1.0
    memory: str = "2Gi"
    max_replicas: int = 2


@dataclass(frozen=True)
class SandboxSettings:
    """The dynamic-sessions pool where repository checks run (image from sandbox-image/)."""

    image: str
    registry_server: str | None = None
    registry_resource_id: str | None = None
    cpu: float = 2.0
    memory: str = "4Gi"
    max_sessions: int = 20
    ready_sessions: int = 2
    cooldown_seconds: int = 300


@dataclass(frozen=True)
class ConsoleSettings:
    """The browser console's Static Web App (``console.py``): its region (Static Web Apps exist
    in a few), its plan, and the Entra authority its users sign in at (the CSP admits it)."""

    location: str = "westeurope"
    sku: str = "Standard"
    authority: str = "https://login.microsoftonline.com"
    # Who signs in (``entra.py``): any organisation's directory, or only the operators'.
    sign_in_audience: str = "AzureADMultipleOrgs"


@dataclass(frozen=True)
class AlertSettings:
    emails: tuple[str, ...] = ()
    health_path: str = "/api/health"


@dataclass(frozen=True)
class PlatformSettings:
    project: str
    stack: str
    environment: str
    location: str
    name_prefix: str
    owner: str
    gpu: GpuSettings
    model_registry: ModelRegistrySettings
    sandbox: SandboxSettings
    name_seed: str = ""
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    function_app: FunctionAppSettings = field(default_factory=FunctionAppSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    tenants: tuple[TenantSettings, ...] = ()

    @property
    def naming(self) -> Naming:
        seed = self.name_seed or f"{self.project}/{self.stack}"
        return Naming(self.name_prefix, self.environment, self.location, seed)

    def warnings(self) -> list[str]:
        found = []
        if self.location not in SERVERLESS_GPU_REGIONS:
            found.append(
                f"{self.location} was not listed with serverless GPUs for Container Apps; "
                "check the region and the GPU quota before `pulumi up`"
            )
        if not self.alerts.emails:
            found.append(
                "alerts.emails is empty: SLO alerts fire into an action group nobody reads"
            )
        return found
