"""The Functions app: Flex Consumption plan, host storage by identity, VNet integration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import web

from agent_infra.access import grant
from agent_infra.naming import Naming
from agent_infra.network import Network
from agent_infra.observability import Observability
from agent_infra.settings import FunctionAppSettings
from agent_infra.storage_account import PrivateStorage, StorageArgs

PYTHON_VERSION = "3.11"
DEPLOYMENT_CONTAINER = "deployments"
HOST_STORAGE_ROLES = (
    # Durable Functions keeps its task hub in blobs, queues and tables of the host account.
    "Storage Blob Data Owner",
    "Storage Queue Data Contributor",
    "Storage Table Data Contributor",
)


def function_app_name(naming: Naming) -> str:
    """Also the Entra ID principal name of the app's system-assigned identity."""
    return naming.global_name("func")


@dataclass(frozen=True)
class FunctionHostArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: FunctionAppSettings
    network: Network
    observability: Observability
    subscription_id: pulumi.Input[str]
    # The app's own settings (database, Key Vault, artifacts, LLM ...); host settings are added.
    app_settings: Mapping[str, pulumi.Input[str]]
    tags: dict[str, str]
    # User-assigned identities the app carries besides its system-assigned one (the PostgreSQL
    # logins'); its settings name which one each use takes.
    user_assigned_identities: Sequence[pulumi.Input[str]] = ()
    # Browser origins allowed to call the API (the console's); nothing else, never "*".
    cors_origins: Sequence[pulumi.Input[str]] = ()


class FunctionHost(pulumi.ComponentResource):
    """Flex Consumption Function App running Python 3.11 with a system-assigned identity (and
    the user-assigned ones its args name).

    It stays reachable from the internet (SCM webhooks arrive from GitHub, GitLab and Azure DevOps)
    over HTTPS only; everything it calls is private, through its VNet integration.
    """

    def __init__(
        self, name: str, args: FunctionHostArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:FunctionHost", name, None, opts)
        self.storage = PrivateStorage(
            f"{name}-storage",
            StorageArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                account_name=args.naming.storage_account("func"),
                network=args.network,
                tags=args.tags,
                services=("blob", "queue", "table"),
                containers=(DEPLOYMENT_CONTAINER,),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.plan = web.AppServicePlan(
            f"{name}-plan",
            name=args.naming.regional("asp"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="functionapp",
            reserved=True,
            sku=web.SkuDescriptionArgs(name="FC1", tier="FlexConsumption"),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.app_name = function_app_name(args.naming)
        settings = {
            **args.app_settings,
            "AzureWebJobsStorage__accountName": self.storage.account.name,
            "APPLICATIONINSIGHTS_CONNECTION_STRING": args.observability.connection_string,
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Authorization=AAD",
        }
        s = args.settings
        self.app = web.WebApp(
            f"{name}-app",
            name=self.app_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="functionapp,linux",
            reserved=True,
            server_farm_id=self.plan.id,
            identity=web.ManagedServiceIdentityArgs(
                type="SystemAssigned, UserAssigned"
                if args.user_assigned_identities
                else "SystemAssigned",
                user_assigned_identities=list(args.user_assigned_identities) or None,
            ),
            https_only=True,
            public_network_access="Enabled",
            virtual_network_subnet_id=args.network.subnets["function"].id,
            function_app_config=web.FunctionAppConfigArgs(
                deployment=web.FunctionsDeploymentArgs(
                    storage=web.FunctionsDeploymentStorageArgs(
                        type="blobContainer",
                        value=pulumi.Output.concat(
                            self.storage.blob_endpoint, DEPLOYMENT_CONTAINER
                        ),
                        authentication=web.FunctionsDeploymentStorageAuthenticationArgs(
                            type="SystemAssignedIdentity"
                        ),
                    )
                ),
                runtime=web.FunctionsRuntimeArgs(name="python", version=PYTHON_VERSION),
                scale_and_concurrency=web.FunctionsScaleAndConcurrencyArgs(
                    maximum_instance_count=s.maximum_instance_count,
                    instance_memory_mb=s.instance_memory_mb,
                ),
            ),
            site_config=web.SiteConfigArgs(
                app_settings=[
                    web.NameValuePairArgs(name=key, value=settings[key]) for key in sorted(settings)
                ],
                min_tls_version="1.2",
                scm_min_tls_version="1.2",
                ftps_state="Disabled",
                http20_enabled=True,
                # bearer tokens, not cookies: no credentials mode
                cors=web.CorsSettingsArgs(
                    allowed_origins=list(args.cors_origins), support_credentials=False
                ),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.storage]),
        )
        self.principal_id = self.app.identity.apply(lambda i: i.principal_id)
        self.default_host_name = self.app.default_host_name
        for role in HOST_STORAGE_ROLES:
            grant(
                f"{name}-{role.lower().replace(' ', '-')}",
                role=role,
                principal_id=self.principal_id,
                scope=self.storage.account.id,
                subscription_id=args.subscription_id,
                parent=self,
            )
        grant(
            f"{name}-monitoring-metrics-publisher",
            role="Monitoring Metrics Publisher",
            principal_id=self.principal_id,
            scope=args.observability.app_insights.id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.register_outputs(
            {"app_name": self.app.name, "default_host_name": self.default_host_name}
        )
