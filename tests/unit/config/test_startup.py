"""In Azure, loading the app validates the settings: a missing one stops the start, named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
AZURE = {
    "APP_ENVIRONMENT": "azure",
    "PUBLIC_BASE_URL": "https://func-aica-test.azurewebsites.net",
    "POSTGRES_HOST": "psql-aica-test.postgres.database.azure.com",
    "POSTGRES_USER": "func-aica-test",
    "KEY_VAULT_URL": "https://kv-aicatest.vault.azure.net/",
    "ARTIFACT_BLOB_ACCOUNT_URL": "https://staicatestart.blob.core.windows.net/",
}


def _load_app(tmp_path: Path, settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``import function_app`` as the host does, with only ``settings`` (no local settings)."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **settings}
    return subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_app_loads_in_azure_with_its_settings(tmp_path) -> None:
    result = _load_app(tmp_path, AZURE)
    assert result.returncode == 0, result.stderr


def test_a_missing_setting_stops_the_start_and_is_named(tmp_path) -> None:
    result = _load_app(tmp_path, {k: v for k, v in AZURE.items() if k != "KEY_VAULT_URL"})
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr
    assert "required in Azure: KEY_VAULT_URL" in result.stderr


def test_an_invalid_setting_stops_the_start_and_is_named(tmp_path) -> None:
    result = _load_app(tmp_path, {**AZURE, "PUBLIC_BASE_URL": "http://insecure.example"})
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL must be an https:// URL in Azure" in result.stderr


def test_the_start_up_error_quotes_no_setting_value(tmp_path) -> None:
    secret = "sk-" + "x" * 60 + "never-in-a-log"
    settings = {**AZURE, "OPENAI_API_KEY": secret, "ANTHROPIC_API_KEY": secret}
    result = _load_app(tmp_path, {k: v for k, v in settings.items() if k != "POSTGRES_HOST"})
    assert "required in Azure: POSTGRES_HOST" in result.stderr
    assert "never-in-a-log" not in result.stderr
