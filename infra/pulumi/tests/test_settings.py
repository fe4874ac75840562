"""Stack configuration: typed, validated once, every problem reported together."""

from __future__ import annotations

from typing import Any

import pytest
from agent_infra.settings import SettingsError
from agent_infra.stack_config import parse_settings

from tests.harness import PROJECT, stack_config


def raw_values(stack: str) -> dict[str, Any]:
    prefix = f"{PROJECT}:"
    config = stack_config(stack)
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def parse(raw: dict[str, Any], location: str = "swedencentral"):
    return parse_settings(raw, project=PROJECT, stack="test", location=location)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_sample_stacks_parse(stack: str):
    settings = parse(raw_values(stack))
    assert settings.environment == stack
    assert [t.slug for t in settings.tenants][:2] == ["contoso", "fabrikam"]
    assert settings.gpu.image.endswith(":0.12.10-1")


def test_production_refuses_to_run_postgres_without_ha():
    raw = raw_values("prod")
    raw["postgres"] = {**raw["postgres"], "highAvailability": False}
    with pytest.raises(SettingsError, match="zone-redundant HA"):
        parse(raw)


def test_geo_redundant_backup_follows_the_region_unless_set():
    raw = raw_values("dev")
    raw["postgres"] = {k: v for k, v in raw["postgres"].items() if k != "geoRedundantBackup"}
    assert parse(raw, "swedencentral").postgres.geo_redundant_backup is True
    assert parse(raw, "italynorth").postgres.geo_redundant_backup is False
    raw["postgres"]["geoRedundantBackup"] = True
    with pytest.raises(SettingsError, match="not available in italynorth"):
        parse(raw, "italynorth")


def test_overlapping_or_foreign_subnets_are_refused():
    raw = raw_values("dev")
    raw["network"] = {"postgresSubnet": "10.40.0.128/25", "containerAppsSubnet": "10.99.0.0/23"}
    with pytest.raises(SettingsError) as error:
        parse(raw)
    assert "function_subnet overlaps postgres_subnet" in str(error.value)
    assert "container_apps_subnet 10.99.0.0/23 is outside" in str(error.value)


def test_every_problem_is_reported_at_once():
    raw = raw_values("dev")
    del raw["owner"]
    raw["gpu"] = {k: v for k, v in raw["gpu"].items() if k != "image"}
    raw["postgres"] = {**raw["postgres"], "backupRetentionDays": 3, "typo": 1}
    raw["functionApp"] = {"maximumInstanceCount": "many"}
    raw["tenants"] = [
        {"slug": "contoso"},
        {"slug": "contoso"},
        {"slug": "Bad Slug"},
        {"slug": "tailspin", "providers": ["bitbucket"]},
    ]
    with pytest.raises(SettingsError) as error:
        parse(raw)
    message = str(error.value)
    for expected in (
        "owner: required",
        "gpu.image: required",
        "backupRetentionDays must be 7-35",
        "unknown keys ['typo']",
        "duplicate slugs ['contoso']",
        "invalid tenant slug 'Bad Slug'",
        "functionApp.maximumInstanceCount: expected int",
        "tailspin: unknown providers ['bitbucket']",
    ):
        assert expected in message


def test_warnings_name_regions_without_serverless_gpu_and_missing_receivers():
    raw = raw_values("dev")
    raw["alerts"] = {}
    warnings = parse(raw, "westeurope").warnings()
    assert any("westeurope" in w for w in warnings)
    assert any("alerts.emails is empty" in w for w in warnings)
    assert parse(raw_values("prod")).warnings() == []
