"""Every data service is private: no public endpoint, private endpoints with private DNS."""

from __future__ import annotations

from agent_infra.naming import SUFFIX_LENGTH

from tests.checks import ENDPOINT, ZONE_GROUP, assert_data_services_private, endpoints_for
from tests.harness import Deployment

PRIVATE_ZONES = {
    "vault": "privatelink.vaultcore.azure.net",
    "blob": "privatelink.blob.core.windows.net",
    "queue": "privatelink.queue.core.windows.net",
    "table": "privatelink.table.core.windows.net",
    "file": "privatelink.file.core.windows.net",
    "scheduler": "privatelink.durabletask.io",
}


def test_every_data_service_is_private(dev: Deployment, prod: Deployment):
    assert_data_services_private(dev)
    assert_data_services_private(prod)


def test_each_storage_account_has_endpoints_for_the_services_it_serves(dev: Deployment):
    by_account = {
        r.inputs["accountName"][:-SUFFIX_LENGTH]: sorted(endpoints_for(dev, r.id))
        for r in dev.of_type("azure-native:storage:StorageAccount")
    }
    assert by_account == {
        # Functions host (queue and table: the Azure Storage fallback of the Durable backend)
        "staicadevfunc": ["blob", "queue", "table"],
        "staicadevart": ["blob"],  # artifacts
        "staicadevmodels": ["file"],  # GPU model cache (NFS)
        "staicadevmlf": ["blob"],  # model registry artifacts
    }


def test_private_dns_zones_exist_are_linked_and_used_by_the_endpoints(dev: Deployment):
    zones = {
        r.inputs["privateZoneName"]: r for r in dev.of_type("azure-native:privatedns:PrivateZone")
    }
    assert set(PRIVATE_ZONES.values()) <= set(zones)
    assert "psql-aica-dev.private.postgres.database.azure.com" in zones
    linked = {
        r.inputs["privateZoneName"]
        for r in dev.of_type("azure-native:privatedns:VirtualNetworkLink")
    }
    assert linked == set(zones), "every private zone must be linked to the VNet"
    vnet = dev.one("azure-native:network:VirtualNetwork")
    for link in dev.of_type("azure-native:privatedns:VirtualNetworkLink"):
        assert link.inputs["virtualNetwork"]["id"] == vnet.id
        assert link.inputs["registrationEnabled"] is False
    endpoints = {e.inputs["privateEndpointName"]: e for e in dev.of_type(ENDPOINT)}
    groups = dev.of_type(ZONE_GROUP)
    assert len(groups) == len(endpoints)
    for group in groups:
        endpoint = endpoints[group.inputs["privateEndpointName"]]
        group_id = endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"][0]
        (config,) = group.inputs["privateDnsZoneConfigs"]
        assert config["privateDnsZoneId"] == zones[PRIVATE_ZONES[group_id]].id
        assert endpoint.inputs["subnet"]["id"].endswith("/snet-private-endpoints")


def test_subnets_are_delegated_to_their_services(dev: Deployment):
    delegations = {
        r.inputs["subnetName"]: [d["serviceName"] for d in r.inputs.get("delegations") or []]
        for r in dev.of_type("azure-native:network:Subnet")
    }
    assert delegations == {
        "snet-function": ["Microsoft.App/environments"],  # Flex Consumption VNet integration
        "snet-private-endpoints": [],
        "snet-postgres": ["Microsoft.DBforPostgreSQL/flexibleServers"],
        "snet-container-apps": ["Microsoft.App/environments"],
    }
