"""devhost running the intake test app (the real webhook blueprint) on the session database."""

from __future__ import annotations

import json
import secrets as token
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.secrets.local import LocalSecretStore
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from tests.unit.intake.deliveries import REPO_ROOT, Credentials, Fixture, headers_for

APP_DIR = REPO_ROOT / "tests" / "fixtures" / "apps" / "intake_app"
CREDENTIALS = Credentials()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def post(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers), json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), json.loads(error.read() or b"{}"))


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


@dataclass
class Webhooks:
    base_url: str
    db: Database
    directory: PostgresTenantDirectory
    secrets: LocalSecretStore

    def tenant(self, triggers: dict[str, Any] | None = None) -> str:
        slug = f"e2e-{token.token_hex(4)}"
        self.directory.provision(slug, slug, {"triggers": triggers or {}})
        for name, value in CREDENTIALS.store_entries().items():
            self.secrets.set(slug, name, value)
        return slug

    def url(self, tenant: str, provider: str) -> str:
        return f"{self.base_url}/api/webhooks/{provider}/{tenant}"

    def send(
        self,
        tenant: str,
        item: Fixture,
        headers: dict[str, str] | None = None,
        *,
        delivery_id: str | None = None,
    ) -> Reply:
        sent = (
            headers
            if headers is not None
            else headers_for(item, CREDENTIALS, delivery_id=delivery_id)
        )
        return post(self.url(tenant, item.provider.value), item.body, sent)

    def instance(self, instance_id: str) -> dict[str, Any] | None:
        status, body = get_json(
            f"{self.base_url}/runtime/webhooks/durabletask/instances/{instance_id}"
        )
        return body if status in (200, 202) and body else None


@pytest.fixture(scope="module")
def webhooks(
    database_url: str,
    db: Database,
    tenant_directory: PostgresTenantDirectory,
    role_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Webhooks]:
    from devhost.testing import running_devhost
    from shared.bootstrap import container

    data_dir: Path = tmp_path_factory.mktemp("intake-e2e")
    settings = {
        "TENANT_ROLE_PREFIX": role_prefix,
        "DATA_DIR": str(data_dir),
        "WEBHOOK_CACHE_SECONDS": "0",
    }
    container.cache_clear()  # the app builds its container from these settings
    try:
        with running_devhost(
            APP_DIR, database_url, schema="intake_durable", settings=settings
        ) as url:
            yield Webhooks(url, db, tenant_directory, LocalSecretStore(data_dir))
            if "db" in vars(container()):
                container().db.close()
    finally:
        container.cache_clear()
