"""Each container the platform runs (Ollama, the sandbox pool, the model registry) runs as an
identity of its own; when its image is in a private registry, that identity alone is granted
AcrPull there and the container pulls with it, so no registry password exists anywhere.
Apps that serve the Function App accept traffic from its subnet only."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app, managedidentity

from agent_infra.access import grant


@dataclass(frozen=True)
class ImagePuller:
    identity: managedidentity.UserAssignedIdentity
    #: AcrPull on the image's registry, when one is named: what the container must wait for.
    grants: list[pulumi.Resource]

    def app_identity(self) -> app.ManagedServiceIdentityArgs:
        return app.ManagedServiceIdentityArgs(
            type="UserAssigned", user_assigned_identities=[self.identity.id]
        )

    def registries(self, server: str | None) -> list[app.RegistryCredentialsArgs] | None:
        if not server:
            return None
        return [app.RegistryCredentialsArgs(server=server, identity=self.identity.id)]


def image_puller(
    name: str,
    *,
    identity_name: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: dict[str, str],
    registry_resource_id: str | None,
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> ImagePuller:
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity",
        resource_name_=identity_name,
        resource_group_name=resource_group_name,
        location=location,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    grants: list[pulumi.Resource] = []
    if registry_resource_id:
        grants.append(
            grant(
                f"{name}-acr-pull",
                role="AcrPull",
                principal_id=identity.principal_id,
                scope=registry_resource_id,
                subscription_id=subscription_id,
                parent=parent,
            )
        )
    return ImagePuller(identity, grants)


def function_subnet_ingress(port: int, function_subnet: pulumi.Input[str]) -> app.IngressArgs:
    """HTTPS ingress on ``port``, VNet-wide on an internal environment (see gpu.py) and then
    restricted to the Function App's subnet."""
    return app.IngressArgs(
        external=True,
        target_port=port,
        transport="http",
        allow_insecure=False,
        ip_security_restrictions=[
            app.IpSecurityRestrictionRuleArgs(
                name="function-app-subnet",
                action="Allow",
                ip_address_range=function_subnet,
                description="Function App VNet integration",
            )
        ],
    )
