"""Assertions shared by the tests and by the flip test that proves they can fail."""

from __future__ import annotations

from tests.harness import Deployment

STORAGE = "azure-native:storage:StorageAccount"
POSTGRES = "azure-native:dbforpostgresql:Server"
VAULT = "azure-native:keyvault:Vault"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"


def endpoints_for(deployment: Deployment, resource_id: str | None) -> list[str]:
    """Private Link group ids of the endpoints that target ``resource_id``."""
    groups = []
    for endpoint in deployment.of_type(ENDPOINT):
        for connection in endpoint.inputs["privateLinkServiceConnections"]:
            if connection["privateLinkServiceId"] == resource_id:
                groups.extend(connection["groupIds"])
    return groups


def assert_data_services_private(deployment: Deployment) -> None:
    servers = deployment.of_type(POSTGRES)
    accounts = deployment.of_type(STORAGE)
    vaults = deployment.of_type(VAULT)
    assert servers and accounts and vaults, "the platform has no data services?"
    for server in servers:
        network = server.inputs["network"]
        assert network["publicNetworkAccess"] == "Disabled", f"postgres {server.name} is public"
        assert network["delegatedSubnetResourceId"].endswith("/snet-postgres")
        assert ".private.postgres.database.azure.com" in network["privateDnsZoneArmResourceId"]
    for account in accounts:
        p = account.inputs
        assert p["publicNetworkAccess"] == "Disabled", f"storage {account.name} is public"
        assert p["allowBlobPublicAccess"] is False
        assert p["networkRuleSet"]["defaultAction"] == "Deny"
        groups = endpoints_for(deployment, account.id)
        assert groups, f"storage {account.name} has no private endpoint"
    for vault in vaults:
        assert vault.inputs["properties"]["publicNetworkAccess"] == "Disabled", "vault is public"
        assert vault.inputs["properties"]["networkAcls"]["defaultAction"] == "Deny"
        assert endpoints_for(deployment, vault.id) == ["vault"]
