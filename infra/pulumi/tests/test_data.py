"""PostgreSQL: recovery objectives (RPO <= 15 min, RTO <= 1 h), Entra ID only, TLS pinned."""

from __future__ import annotations

from tests.harness import Deployment

SERVER = "azure-native:dbforpostgresql:Server"


def test_production_postgres_is_zone_redundant_with_geo_backups(prod: Deployment):
    server = prod.one(SERVER)
    ha = server.inputs["highAvailability"]
    assert ha["mode"] == "ZoneRedundant"
    assert ha["standbyAvailabilityZone"] != server.inputs["availabilityZone"]
    assert server.inputs["backup"] == {"backupRetentionDays": 35, "geoRedundantBackup": "Enabled"}
    assert server.protect


def test_postgres_accepts_entra_id_only_over_tls_1_2(dev: Deployment):
    server = dev.one(SERVER)
    assert server.inputs["authConfig"]["activeDirectoryAuth"] == "Enabled"
    assert server.inputs["authConfig"]["passwordAuth"] == "Disabled"
    assert "administratorLogin" not in server.inputs
    assert server.inputs["version"] == "16"
    parameters = {
        r.inputs["configurationName"]: r.inputs["value"]
        for r in dev.of_type("azure-native:dbforpostgresql:Configuration")
    }
    assert parameters == {
        "require_secure_transport": "on",
        "ssl_min_protocol_version": "TLSv1.2",
        "azure.extensions": "VECTOR",  # pgvector, for code retrieval's embeddings
    }


def test_the_platform_database_is_the_one_the_app_connects_to(dev: Deployment):
    databases = {
        r.inputs["databaseName"] for r in dev.of_type("azure-native:dbforpostgresql:Database")
    }
    assert databases == {"platform", "mlflow", "tenant_contoso", "tenant_fabrikam"}
