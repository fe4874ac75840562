"""The admin API on devhost: the real app, the development OIDC issuer, embedded PostgreSQL.

Reuses the patch_flow suite's host fixtures with one more setting: the platform operators'
directory, whose PlatformAdmin tokens manage tenants."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable

import pytest

from tests.e2e.patch_flow.conftest import AUDIENCE, Http
from tests.e2e.patch_flow.conftest import app as app  # noqa: PLC0414 (re-exported fixture)
from tests.e2e.patch_flow.conftest import app_env as _patch_flow_env
from tests.e2e.patch_flow.conftest import app_host as app_host  # noqa: PLC0414
from tests.e2e.patch_flow.conftest import http as http  # noqa: PLC0414
from tests.e2e.patch_flow.conftest import issuer as issuer  # noqa: PLC0414
from tools.demo.scenario import DemoTenant, prepare_tenant

PLATFORM_DIRECTORY = str(uuid.uuid5(uuid.NAMESPACE_DNS, "operators.platform.example"))
SCRIPTED = [{"provider": "scripted", "model": "demo"}]


@pytest.fixture(scope="module")
def app_env(role_prefix, admin_database_url, issuer, tmp_path_factory) -> dict[str, str]:
    base = _patch_flow_env.__wrapped__(  # type: ignore[attr-defined]
        role_prefix, admin_database_url, issuer, tmp_path_factory
    )
    return {**base, "ENTRA_PLATFORM_TENANT_ID": PLATFORM_DIRECTORY, "TASK_SLOT_RETRY_S": "0.5"}


class Api(Http):
    """``Http`` plus bearer tokens from the development issuer and raw replies."""

    def __init__(self, base_url: str, issuer) -> None:
        super().__init__(base_url)
        self.issuer = issuer

    def token(self, directory: str, user: str, *roles: str) -> dict[str, str]:
        minted = self.issuer.mint(
            tenant_id=directory, username=user, audience=AUDIENCE, roles=list(roles)
        )
        return {"Authorization": f"Bearer {minted}", "Content-Type": "application/json"}

    def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: object = None,
    ) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        return self.request(method, f"/api/{path}", data, headers)


@pytest.fixture(scope="module")
def api(http: Http, issuer) -> Api:
    return Api(http.base_url, issuer)


@pytest.fixture(scope="module")
def demo_tenant(app) -> Callable[..., DemoTenant]:
    def make(**kwargs) -> DemoTenant:
        return prepare_tenant(app, f"adm-{secrets.token_hex(3)}", llm_routes=SCRIPTED, **kwargs)

    return make
