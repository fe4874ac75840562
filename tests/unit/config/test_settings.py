"""Settings: built once, environment over local.settings.json, clear errors naming the setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.config import load_settings
from shared.domain.errors import ConfigurationError


def _local_settings(tmp_path: Path, values: dict[str, object]) -> Path:
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"IsEncrypted": False, "Values": values})
    )
    return tmp_path


def test_local_settings_values_are_read(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    settings = load_settings(_local_settings(tmp_path, {"OLLAMA_HOST": "http://gpu:11434"}))
    assert settings.ollama_host == "http://gpu:11434"


def test_environment_wins_over_local_settings(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://env:11434")
    settings = load_settings(_local_settings(tmp_path, {"OLLAMA_HOST": "http://file:11434"}))
    assert settings.ollama_host == "http://env:11434"


def test_settings_are_frozen(tmp_path) -> None:
    settings = load_settings(tmp_path)
    with pytest.raises(ValueError):
        settings.ollama_host = "x"  # type: ignore[misc]


def test_invalid_value_names_the_setting(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="DB_POOL_MAX_SIZE"):
        load_settings(_local_settings(tmp_path, {"DB_POOL_MAX_SIZE": "many"}))


def test_azure_requires_its_settings_and_names_them(tmp_path, monkeypatch) -> None:
    for name in ("POSTGRES_HOST", "KEY_VAULT_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="POSTGRES_HOST, KEY_VAULT_URL"):
        load_settings(tmp_path, app_environment="azure")


def test_development_oidc_issuer_is_never_allowed_in_azure(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="DEV_OIDC_ENABLED"):
        load_settings(
            tmp_path,
            app_environment="azure",
            postgres_host="pg",
            key_vault_url="https://kv.vault.azure.net",
            dev_oidc_enabled=True,
        )


def test_a_tracking_server_in_azure_needs_the_scope_of_its_entra_tokens(tmp_path) -> None:
    azure = {
        "app_environment": "azure",
        "postgres_host": "pg",
        "postgres_user": "app",
        "key_vault_url": "https://kv.vault.azure.net",
        "artifact_blob_account_url": "https://blob.example",
        "public_base_url": "https://agent.example",
        "mlflow_tracking_uri": "https://mlflow.internal.example",
    }
    with pytest.raises(ConfigurationError, match="MLFLOW_TRACKING_SCOPE"):
        load_settings(tmp_path, **azure)
    with pytest.raises(ConfigurationError, match="MLFLOW_TRACKING_SCOPE"):
        load_settings(tmp_path, **azure, mlflow_tracking_scope="api://registry")  # no /.default
    scope = "api://00000000-0000-0000-0000-00000000dd01/.default"
    assert load_settings(tmp_path, **azure, mlflow_tracking_scope=scope).mlflow_tracking_scope


def test_broken_local_settings_file_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "local.settings.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match=r"local\.settings\.json: not valid JSON"):
        load_settings(tmp_path)


def test_each_database_login_names_its_own_managed_identity(tmp_path) -> None:
    app, provisioner, obj = (
        "6f1d3c1e-2f7a-4a53-9d55-0c1c3e1f0a01",
        "8a2b4c6d-1e3f-4a5b-8c7d-9e0f1a2b3c4d",
        "0b7e2a9c-5d4f-4e3a-b2c1-d0e9f8a7b6c5",
    )
    settings = load_settings(
        _local_settings(
            tmp_path,
            {
                "POSTGRES_CLIENT_ID": app,
                "POSTGRES_ADMIN_CLIENT_ID": provisioner,
                "POSTGRES_OBJECT_ID": obj,
            },
        )
    )
    assert (settings.postgres_client_id, settings.postgres_admin_client_id) == (app, provisioner)
    assert settings.postgres_object_id == obj


@pytest.mark.parametrize("name", ["POSTGRES_CLIENT_ID", "POSTGRES_ADMIN_CLIENT_ID"])
def test_a_managed_identity_client_id_must_be_a_guid(tmp_path, name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load_settings(_local_settings(tmp_path, {name: "id-pg-provisioner"}))
