"""The sandbox for repository checks: a Container Apps dynamic-sessions pool of custom containers.

Each session is a Hyper-V sandbox running the image built from ``sandbox-image/`` (its agent
answers the sessions data-plane API on ``AGENT_PORT``); sessions have no egress
(``EgressDisabled``), so a check reaches neither the platform nor the internet, and a session is
used for one run and discarded after ``cooldown_seconds``. Only the Function App's identity may
run code there: *Azure ContainerApps Session Executor* on this pool, nothing wider (granted by
``AppAccess``). The app reads
the pool's management endpoint as ``SANDBOX_POOL_ENDPOINT``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app

from agent_infra.image_puller import image_puller
from agent_infra.naming import Naming
from agent_infra.settings import SandboxSettings

AGENT_PORT = 8080


@dataclass(frozen=True)
class SandboxPoolArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: SandboxSettings
    environment_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    tags: dict[str, str]


class SandboxPool(pulumi.ComponentResource):
    """``endpoint``: the pool management endpoint the app calls."""

    def __init__(
        self, name: str, args: SandboxPoolArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:SandboxPool", name, None, opts)
        s = args.settings
        puller = image_puller(
            name,
            identity_name=args.naming.regional("id-sandbox"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            registry_resource_id=s.registry_resource_id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.pool = app.ContainerAppsSessionPool(
            f"{name}-pool",
            session_pool_name=args.naming.regional("sandbox"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            environment_id=args.environment_id,
            container_type="CustomContainer",
            pool_management_type="Dynamic",
            identity=puller.app_identity(),
            custom_container_template=app.CustomContainerTemplateArgs(
                containers=[
                    app.SessionContainerArgs(
                        name="sandbox",
                        image=s.image,
                        resources=app.SessionContainerResourcesArgs(cpu=s.cpu, memory=s.memory),
                    )
                ],
                ingress=app.SessionIngressArgs(target_port=AGENT_PORT),
                registry_credentials=app.SessionRegistryCredentialsArgs(
                    server=s.registry_server, identity=puller.identity.id
                )
                if s.registry_server
                else None,
            ),
            dynamic_pool_configuration=app.DynamicPoolConfigurationArgs(
                lifecycle_configuration=app.LifecycleConfigurationArgs(
                    lifecycle_type="Timed", cooldown_period_in_seconds=s.cooldown_seconds
                )
            ),
            scale_configuration=app.ScaleConfigurationArgs(
                max_concurrent_sessions=s.max_sessions, ready_session_instances=s.ready_sessions
            ),
            session_network_configuration=app.SessionNetworkConfigurationArgs(
                status="EgressDisabled"
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=puller.grants),
        )
        self.endpoint = self.pool.pool_management_endpoint
        self.register_outputs({"endpoint": self.endpoint})
