"""Durable Functions' backend: the Durable Task Scheduler, or Azure Storage as the fallback.

Default (``functionApp.durableBackend: scheduler``): a ``Microsoft.DurableTask/schedulers``
resource with one task hub named as the app's ``DURABLE_TASK_HUB``, reached only through a private
endpoint (``privatelink.durabletask.io``) and only by identity: the Function App holds "Durable
Task Data Contributor" on that task hub, and the connection string it reads says
``Authentication=ManagedIdentity`` (no key exists). ``host.json`` names the provider
(``azureManaged``) and the setting holding that connection string. A Dedicated scheduler sustains
about 1,000 activities per second per capacity unit, against a few sequential activities per
second per instance on the Azure Storage provider.

Fallback (``durableBackend: storage``): no scheduler; an app setting overrides ``host.json``'s
provider type with ``AzureStorage``, whose task hub lives in the host's storage account (its blob,
queue and table roles are granted by ``FunctionHost`` either way, so switching needs no other
change). In-flight orchestrations do not move between backends: drain them before switching.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import durabletask

from agent_infra.access import grant
from agent_infra.naming import Naming
from agent_infra.network import Network
from agent_infra.settings import FunctionAppSettings

SCHEDULER = "scheduler"
STORAGE = "storage"
BACKENDS = (SCHEDULER, STORAGE)
SCHEDULER_SKUS = ("Dedicated", "Consumption")
# host.json: extensions.durableTask.storageProvider.connectionStringName
CONNECTION_SETTING = "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"
# An app setting overriding host.json's provider type (the host's ``__`` path convention).
PROVIDER_OVERRIDE = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type"


@dataclass(frozen=True)
class DurableBackendArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: FunctionAppSettings
    network: Network
    tags: dict[str, str]


class DurableBackend(pulumi.ComponentResource):
    """The backend chosen by ``settings.durable_backend``; ``app_settings`` are the host settings
    that select it. Call ``grant`` once the Function App's identity exists."""

    def __init__(
        self, name: str, args: DurableBackendArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:DurableBackend", name, None, opts)
        self._name = name
        s = args.settings
        self.scheduler: durabletask.Scheduler | None = None
        self.task_hub: durabletask.TaskHub | None = None
        if s.durable_backend == STORAGE:
            self.app_settings: dict[str, pulumi.Input[str]] = {PROVIDER_OVERRIDE: "AzureStorage"}
            self.register_outputs({"backend": STORAGE})
            return
        child = pulumi.ResourceOptions(parent=self)
        self.scheduler = durabletask.Scheduler(
            f"{name}-scheduler",
            scheduler_name=args.naming.global_name("dts"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=durabletask.SchedulerPropertiesArgs(
                sku=durabletask.SchedulerSkuArgs(
                    name=s.scheduler_sku,
                    capacity=s.scheduler_capacity if s.scheduler_sku == "Dedicated" else None,
                ),
                public_network_access="Disabled",
                ip_allowlist=[],
            ),
            tags=args.tags,
            opts=child,
        )
        self.task_hub = durabletask.TaskHub(
            f"{name}-task-hub",
            task_hub_name=s.durable_task_hub,
            scheduler_name=self.scheduler.name,
            resource_group_name=args.resource_group_name,
            opts=child,
        )
        args.network.private_endpoint(
            args.naming.regional("dts"),
            target_id=self.scheduler.id,
            group_id="scheduler",
            parent=self,
        )
        endpoint = self.scheduler.properties.apply(lambda p: p.endpoint)
        self.app_settings = {
            CONNECTION_SETTING: pulumi.Output.concat(
                "Endpoint=", endpoint, ";Authentication=ManagedIdentity"
            )
        }
        self.register_outputs({"backend": SCHEDULER, "endpoint": endpoint})

    def grant(self, principal_id: pulumi.Input[str], subscription_id: pulumi.Input[str]) -> None:
        """Let ``principal_id`` (the Function App) run the task hub's work; with the Azure
        Storage fallback the host's storage roles already do."""
        if self.task_hub is not None:
            grant(
                f"{self._name}-data-contributor",
                role="Durable Task Data Contributor",
                principal_id=principal_id,
                scope=self.task_hub.id,
                subscription_id=subscription_id,
                parent=self,
            )
