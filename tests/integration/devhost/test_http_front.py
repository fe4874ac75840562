"""devhost serves an unmodified app's HTTP functions as the Functions host does."""

from __future__ import annotations

import json
import secrets
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from devhost.testing import started_devhost
from shared.adapters.store.postgres.migrations import migrate_platform
from shared.bootstrap import container
from tests.conftest import with_database
from tests.integration.devhost.conftest import APPS


def request(url: str, method: str = "GET", body: bytes | None = None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:  # closes the connection now, not when the error is collected
            return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def http_app(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("http_app")
    shutil.copytree(APPS / "http_app", folder, dirs_exist_ok=True)
    settings = {"IsEncrypted": False, "Values": {"GREETING": "hello from local.settings"}}
    (folder / "local.settings.json").write_text(json.dumps(settings))
    return folder


@pytest.fixture(scope="module")
def http_host(http_app: Path, database_url: str, store_schema: str) -> Iterator[str]:
    with started_devhost(http_app, database_url, schema=store_schema) as running:
        yield running.base_url


def test_blueprint_route_with_parameters_builds_the_request(http_host):
    status, headers, body = request(f"{http_host}/api/items/42/red?q=find")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"item_id": 42, "label": "red", "q": "find"}
    status, _, body = request(f"{http_host}/api/items/7")
    assert (status, json.loads(body)["label"]) == (200, None)


def test_literal_route_wins_over_parameter_route(http_host):
    status, _, body = request(f"{http_host}/api/items/special")
    assert (status, body) == (200, b"special")


def test_post_body_reaches_an_async_function(http_host):
    status, headers, body = request(
        f"{http_host}/api/echo",
        "POST",
        json.dumps({"a": [1, 2]}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201
    assert headers["X-Echo-Method"] == "POST"
    assert json.loads(body) == {"received": {"a": [1, 2]}, "url": f"{http_host}/api/echo"}


def test_unknown_path_is_404_and_wrong_method_is_405(http_host):
    assert request(f"{http_host}/api/nothing-here")[0] == 404
    assert request(f"{http_host}/api/items/not-a-number")[0] == 404
    status, headers, _ = request(f"{http_host}/api/echo")
    assert status == 405
    assert headers["Allow"] == "POST"


def test_catch_all_route_and_json_return_value(http_host):
    status, _, body = request(f"{http_host}/api/files/a/b/c.txt")
    assert (status, json.loads(body)) == (200, {"path": "a/b/c.txt"})


def test_local_settings_and_context_reach_the_function(http_host):
    status, _, body = request(f"{http_host}/api/setting")
    assert status == 200
    assert json.loads(body) == {"greeting": "hello from local.settings", "function": "setting"}


def test_a_failing_function_gives_500(http_host):
    assert request(f"{http_host}/api/boom")[0] == 500


# --- /api/health ------------------------------------------------------------------------------
@pytest.fixture
def health_database(server_url: str) -> Iterator[str]:
    name = f"t_health_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def fresh_container() -> Iterator[None]:
    """Health uses the composition root's settings and pool: a fresh container per test, its
    pool closed afterwards (it would keep reconnecting in the background)."""
    container.cache_clear()
    yield
    if container.cache_info().currsize and "db" in vars(container()):
        container().db.close()
    container.cache_clear()


def _health(base_url: str) -> tuple[int, dict]:
    status, _, body = request(f"{base_url}/api/health")
    return status, json.loads(body)


def test_health_reports_pending_migrations_then_ready(
    health_database, database_url, store_schema, fresh_container
):
    settings = {"DATABASE_URL": health_database}
    with started_devhost(
        APPS / "health_app", database_url, schema=store_schema, settings=settings
    ) as running:
        status, report = _health(running.base_url)
        assert status == 503
        assert report["failed"] == ["migrations"]
        assert report["checks"]["live"] == "ok"
        with psycopg.connect(health_database, row_factory=dict_row) as conn, conn.transaction():
            migrate_platform(conn)
        status, report = _health(running.base_url)
        assert (status, report["status"]) == (200, "ok")


def test_health_is_503_when_the_database_is_down(
    health_database, server_url, database_url, store_schema, fresh_container
):
    with psycopg.connect(health_database, row_factory=dict_row) as conn, conn.transaction():
        migrate_platform(conn)
    settings = {"DATABASE_URL": health_database}
    with started_devhost(
        APPS / "health_app", database_url, schema=store_schema, settings=settings
    ) as running:
        assert _health(running.base_url)[0] == 200
        name = urlsplit(health_database).path.strip("/")
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        status, report = _health(running.base_url)
    assert status == 503
    assert report["status"] == "unavailable"
    assert report["checks"]["database"] == "unreachable"
    assert report["failed"] == ["database"]
