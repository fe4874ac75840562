"""``/api/health`` in Azure reads the app's settings (``POSTGRES_HOST`` and its login, no
``DATABASE_URL``): it connects as the app does, and names a missing or invalid setting."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import azure.functions as func
import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from functions import health
from shared.adapters.store.postgres.migrations import migrate_platform
from shared.bootstrap import container
from tests.conftest import with_database

AZURE = {
    "APP_ENVIRONMENT": "azure",
    "PUBLIC_BASE_URL": "https://func-aica-test.azurewebsites.net",
    "KEY_VAULT_URL": "https://kv-aicatest.vault.azure.net/",
    "ARTIFACT_BLOB_ACCOUNT_URL": "https://staicatestart.blob.core.windows.net/",
    "POSTGRES_USER": "func-aica-test",
}


@pytest.fixture
def in_azure(monkeypatch, tmp_path) -> Iterator[None]:
    """App settings as Azure gives them (environment only, no DATABASE_URL) and a fresh
    composition root; its pool is closed afterwards."""
    monkeypatch.chdir(tmp_path)  # no local.settings.json
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in AZURE.items():
        monkeypatch.setenv(name, value)
    container.cache_clear()
    yield
    if container.cache_info().currsize and "db" in vars(container()):
        container().db.close()
    container.cache_clear()


def _health() -> tuple[int, dict]:
    handler = health.health.build().get_user_function()
    response = handler(func.HttpRequest("GET", "http://localhost/api/health", body=b""))
    return response.status_code, json.loads(response.get_body())


def test_a_missing_setting_is_named_and_not_ready(in_azure, monkeypatch) -> None:
    monkeypatch.delenv("POSTGRES_HOST", raising=False)
    status, report = _health()
    assert (status, report["failed"]) == (503, ["settings"])
    assert "required in Azure: POSTGRES_HOST" in report["checks"]["settings"]
    assert report["checks"]["database"] == "unknown"


@pytest.fixture
def platform_database(server_url: str) -> Iterator[str]:
    name = f"t_health_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server_url, name)
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.transaction():
        migrate_platform(conn)
    yield url
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_it_connects_with_the_postgres_settings(in_azure, monkeypatch, platform_database) -> None:
    url = urlsplit(platform_database)
    socket_dir = parse_qs(url.query).get("host", [""])[0]
    if not socket_dir.startswith("/"):
        pytest.skip("needs a Unix socket: Azure requires TLS, which this TCP server lacks")
    monkeypatch.setenv("POSTGRES_HOST", socket_dir)
    monkeypatch.setenv("POSTGRES_DATABASE", url.path.strip("/"))
    monkeypatch.setenv("POSTGRES_USER", url.username or "postgres")
    status, report = _health()
    assert (status, report["checks"]) == (
        200,
        {"live": "ok", "settings": "ok", "database": "ok", "migrations": "ok"},
    )
    assert "sslmode=require" in container().db.url
