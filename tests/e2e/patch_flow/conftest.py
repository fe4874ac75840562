"""The real app (``function_app.py`` at the repository root) on devhost, in this process, with
the embedded PostgreSQL, local_git repositories, the scripted LLM and the development issuer.

The host is module-scoped: while it runs, its app settings are in the process environment and
its workers are busy, which must not leak into other test modules."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.dev_oidc import DevIssuer
from devhost.testing import RunningDevhost, started_devhost
from shared.bootstrap import Container, container
from tests.support import devhost_process
from tests.support.devhost_task import wait_for
from tests.support.oidc import serving_dev_issuer
from tools.demo.scenario import RECORDINGS

REPO_ROOT = Path(__file__).resolve().parents[3]
AUDIENCE = "api://ai-code-agent-e2e"


@pytest.fixture(scope="session")
def issuer(tmp_path_factory) -> Iterator[DevIssuer]:
    with serving_dev_issuer(tmp_path_factory.mktemp("oidc")) as served:
        yield served


@pytest.fixture(scope="module")
def app_env(role_prefix, admin_database_url, issuer, tmp_path_factory) -> dict[str, str]:
    """The app settings every devhost of this suite runs with (in-process or a subprocess)."""
    recordings = tmp_path_factory.mktemp("recordings")
    for source in (RECORDINGS, Path(__file__).with_name("recordings")):
        for path in source.glob("*.yaml"):
            shutil.copy(path, recordings / path.name)
    return {
        "DATA_DIR": str(tmp_path_factory.mktemp("appdata")),
        "TENANT_ROLE_PREFIX": role_prefix,
        "DATABASE_ADMIN_URL": admin_database_url,
        "ENTRA_AUTHORITY": issuer.authority,
        "ENTRA_AUDIENCE": AUDIENCE,
        "LLM_RECORDINGS_DIR": str(recordings),
        "DEV_OIDC_ENABLED": "true",
        "RECONCILE_START_AFTER_S": "1",  # the reconciler test runs it by hand
        "SCM_ALLOWED_HOSTS": "127.0.0.1,localhost",  # the SCM emulators of tests/integration/scm
    }


@pytest.fixture(scope="module")
def app_host(db, database_url, app_env) -> Iterator[RunningDevhost]:
    container.cache_clear()
    schema = f"durable_{secrets.token_hex(3)}"
    with started_devhost(REPO_ROOT, database_url, schema=schema, settings=app_env) as running:
        yield running
    container.cache_clear()


@pytest.fixture(scope="module")
def app(app_host: RunningDevhost) -> Container:
    """The app's own composition root (devhost runs the app in this process)."""
    return container()


class Http:
    """The in-process devhost's HTTP front, by URL path."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        return devhost_process.http(
            method, self.base_url + path, raw=body, headers=headers, timeout=60
        )

    def status(self, instance: str) -> dict[str, Any]:
        code, body = self.request("GET", f"/runtime/webhooks/durabletask/instances/{instance}")
        assert code in (200, 202), (code, body)
        return body

    def wait(
        self, instance: str, done: Callable[[dict[str, Any]], bool], timeout: float = 90.0
    ) -> dict[str, Any]:
        return wait_for(self.base_url, instance, done, timeout)


@pytest.fixture(scope="module")
def http(app_host: RunningDevhost) -> Http:
    return Http(app_host.base_url)
