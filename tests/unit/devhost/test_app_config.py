"""host.json and local.settings.json are read as the Functions host reads them."""

import json
from pathlib import Path

import pytest

from devhost.app_config import AppConfigError, HostConfig, apply_local_settings


def test_local_settings_fill_the_environment_without_overriding_it(tmp_path):
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"IsEncrypted": False, "Values": {"A": "from-file", "B": 2, "C": None}})
    )
    environ = {"A": "from-env"}
    applied = apply_local_settings(tmp_path, environ)
    assert environ == {"A": "from-env", "B": "2", "C": ""}
    assert applied == {"B": "2", "C": ""}


def test_missing_files_give_defaults(tmp_path):
    assert apply_local_settings(tmp_path, {}) == {}
    config = HostConfig.load(tmp_path, {})
    assert (config.route_prefix, config.hub_name) == ("api", "TestHubName")


def test_host_json_route_prefix_hub_and_concurrency(tmp_path):
    (tmp_path / "host.json").write_text(
        json.dumps(
            {
                "extensions": {
                    "http": {"routePrefix": "/v1/"},
                    "durableTask": {
                        "hubName": "%HUB%",
                        "maxConcurrentActivityFunctions": 3,
                        "maxConcurrentOrchestratorFunctions": 2,
                    },
                }
            }
        )
    )
    config = HostConfig.load(tmp_path, {"HUB": "Tenants"})
    assert config.route_prefix == "v1"
    assert config.hub_name == "Tenants"
    assert (config.max_concurrent_activities, config.max_concurrent_orchestrations) == (3, 2)


def test_the_project_host_json_names_the_durable_task_scheduler_and_devhost_accepts_it():
    """Azure runs the task hub on the Durable Task Scheduler; devhost reads the same host.json,
    needs no scheduler connection setting, and keeps its own store (the e2e tests run the
    project on devhost with this host.json)."""
    config = HostConfig.load(Path(__file__).resolve().parents[3], {"DURABLE_TASK_HUB": "hub"})
    assert (config.storage_provider, config.hub_name) == ("azureManaged", "hub")


def test_without_a_storage_provider_the_host_default_is_azure_storage(tmp_path):
    (tmp_path / "host.json").write_text('{"extensions": {"durableTask": {"hubName": "h"}}}')
    assert HostConfig.load(tmp_path, {}).storage_provider == "AzureStorage"


def test_empty_route_prefix_is_allowed(tmp_path):
    (tmp_path / "host.json").write_text('{"extensions": {"http": {"routePrefix": ""}}}')
    assert HostConfig.load(tmp_path, {}).route_prefix == ""


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("host.json", "{not json", "host.json: not valid JSON"),
        ("local.settings.json", '{"Values": []}', "'Values' must be an object"),
        (
            "host.json",
            '{"extensions": {"durableTask": {"maxConcurrentActivityFunctions": 0}}}',
            "must be a positive integer",
        ),
        (
            "host.json",
            '{"extensions": {"durableTask": {"storageProvider": {"type": "cosmos"}}}}',
            "durableTask.storageProvider.type must be one of",
        ),
        (
            "host.json",
            '{"extensions": {"durableTask": {"storageProvider": {"type": "azureManaged"}}}}',
            "durableTask.storageProvider.connectionStringName is required",
        ),
    ],
)
def test_bad_files_are_refused_with_the_file_named(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(AppConfigError, match=message):
        HostConfig.load(tmp_path, {})
        apply_local_settings(tmp_path, {})
