"""host.json and local.settings.json are read as the Functions host reads them."""

import json

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
    ],
)
def test_bad_files_are_refused_with_the_file_named(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(AppConfigError, match=message):
        HostConfig.load(tmp_path, {})
        apply_local_settings(tmp_path, {})
