"""GPU inference: an internal Container Apps environment with a serverless GPU workload profile
running Ollama (the image built from ``gpu-inference/``), its model cache on Azure Files (NFS).

Reachability: the environment is *internal* (an internal load balancer in our VNet, no public
IP). On an internal environment, ingress ``external=False`` would limit the app to callers inside
the same environment, and the Function App (outside it, in its own integration subnet) would get
HTTP 404 - so ingress is VNet-wide (``external=True``) and an IP allow-list admits only the
Function App's subnet.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app, monitor, privatedns

from agent_infra.image_puller import function_subnet_ingress, image_puller
from agent_infra.naming import Naming
from agent_infra.network import Network
from agent_infra.settings import GpuSettings
from agent_infra.storage_account import PrivateStorage, StorageArgs

OLLAMA_PORT = 11434
MODEL_CACHE_PATH = "/models"
MODEL_SHARE = "models"
CONSUMPTION_PROFILE = "Consumption"


@dataclass(frozen=True)
class GpuInferenceArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: GpuSettings
    network: Network
    allowed_source_cidr: str  # the Function App's integration subnet
    workspace_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    tags: dict[str, str]


def _probe(kind: str, period: int, failures: int) -> app.ContainerAppProbeArgs:
    return app.ContainerAppProbeArgs(
        type=kind,
        http_get=app.ContainerAppProbeHttpGetArgs(path="/", port=OLLAMA_PORT),
        period_seconds=period,
        failure_threshold=failures,
        timeout_seconds=5,
    )


class GpuInference(pulumi.ComponentResource):
    """Ollama on a GPU, scaled to zero when idle; ``url`` is what the app reads as OLLAMA_HOST."""

    def __init__(
        self, name: str, args: GpuInferenceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:GpuInference", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.cache = PrivateStorage(
            f"{name}-cache",
            StorageArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                account_name=args.naming.storage_account("models"),
                network=args.network,
                tags=args.tags,
                services=("file",),
                nfs_shares=((MODEL_SHARE, s.model_cache_gb),),
            ),
            opts=child,
        )
        self.environment = app.ManagedEnvironment(
            f"{name}-env",
            environment_name=args.naming.regional("cae"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            vnet_configuration=app.VnetConfigurationArgs(
                infrastructure_subnet_id=args.network.subnets["container-apps"].id,
                internal=True,
            ),
            # Serverless GPU profiles can only be declared when the environment is created.
            workload_profiles=[
                app.WorkloadProfileArgs(
                    name=CONSUMPTION_PROFILE, workload_profile_type=CONSUMPTION_PROFILE
                ),
                app.WorkloadProfileArgs(name=s.profile_name, workload_profile_type=s.profile_type),
            ],
            tags=args.tags,
            opts=child,
        )
        monitor.DiagnosticSetting(
            f"{name}-env-diagnostics",
            name="to-log-analytics",
            resource_uri=self.environment.id,
            workspace_id=args.workspace_id,
            logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
            opts=child,
        )
        # Callers in the VNet resolve <app>.<default domain> to the internal load balancer.
        zone = args.network.link_zone(
            f"{name}-env-domain", "container-apps", self.environment.default_domain, parent=self
        )
        privatedns.PrivateRecordSet(
            f"{name}-env-wildcard",
            private_zone_name=zone.name,
            resource_group_name=args.resource_group_name,
            record_type="A",
            relative_record_set_name="*",
            ttl=300,
            a_records=[privatedns.ARecordArgs(ipv4_address=self.environment.static_ip)],
            opts=child,
        )
        cache_mount = app.ManagedEnvironmentsStorage(
            f"{name}-env-model-cache",
            storage_name="model-cache",
            environment_name=self.environment.name,
            resource_group_name=args.resource_group_name,
            properties=app.ManagedEnvironmentStoragePropertiesArgs(
                nfs_azure_file=app.NfsAzureFilePropertiesArgs(
                    server=pulumi.Output.concat(self.cache.account.name, ".file.core.windows.net"),
                    share_name=pulumi.Output.concat(
                        "/", self.cache.account.name, f"/{MODEL_SHARE}"
                    ),
                    access_mode="ReadWrite",
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cache]),
        )
        puller = image_puller(
            name,
            identity_name=args.naming.regional("id-ollama"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            registry_resource_id=s.registry_resource_id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.app_name = args.naming.regional("ollama")
        self.app = app.ContainerApp(
            f"{name}-ollama",
            container_app_name=self.app_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            managed_environment_id=self.environment.id,
            workload_profile_name=s.profile_name,
            identity=puller.app_identity(),
            configuration=app.ConfigurationArgs(
                active_revisions_mode="Single",
                # VNet-wide on an internal environment (see the module docstring).
                ingress=function_subnet_ingress(OLLAMA_PORT, args.allowed_source_cidr),
                registries=puller.registries(s.registry_server),
            ),
            template=app.TemplateArgs(
                containers=[
                    app.ContainerArgs(
                        name="ollama",
                        image=s.image,
                        resources=app.ContainerResourcesArgs(cpu=s.cpu, memory=s.memory),
                        env=[
                            app.EnvironmentVarArgs(name=key, value=value)
                            for key, value in (
                                ("OLLAMA_HOST", f"0.0.0.0:{OLLAMA_PORT}"),
                                ("OLLAMA_MODELS", MODEL_CACHE_PATH),
                                ("OLLAMA_KEEP_ALIVE", "30m"),
                                ("MODELS", " ".join(s.models)),
                            )
                        ],
                        volume_mounts=[
                            app.VolumeMountArgs(
                                volume_name="model-cache", mount_path=MODEL_CACHE_PATH
                            )
                        ],
                        # Startup allows 20 min: the first start pulls the models into the cache.
                        probes=[
                            _probe("Startup", period=120, failures=10),
                            _probe("Readiness", period=10, failures=3),
                            _probe("Liveness", period=30, failures=3),
                        ],
                    )
                ],
                volumes=[
                    app.VolumeArgs(
                        name="model-cache",
                        storage_type="NfsAzureFile",
                        storage_name=cache_mount.name,
                    )
                ],
                scale=app.ScaleArgs(
                    min_replicas=0,
                    max_replicas=s.max_replicas,
                    cooldown_period=s.cooldown_seconds,
                    rules=[
                        app.ScaleRuleArgs(
                            name="http",
                            http=app.HttpScaleRuleArgs(metadata={"concurrentRequests": "4"}),
                        )
                    ],
                ),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=puller.grants),
        )
        self.url = pulumi.Output.concat(
            "https://", self.app_name, ".", self.environment.default_domain
        )
        self.register_outputs({"url": self.url, "environment_id": self.environment.id})
