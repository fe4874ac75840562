"""``GET /api/models/{name}/versions/{version}/card`` through the admin API's dispatcher (the
operation ``getModelCard``): a tenant's authenticated users read the card as JSON or Markdown;
bad input gets a 4xx with a code, never a 500."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import azure.functions as func
import pytest

import shared.bootstrap
from functions.api_dispatch import dispatch
from shared.api.operations import BY_ID
from shared.auth.entra import Principal
from shared.domain.errors import Unauthenticated
from shared.domain.llm import ProviderKind
from shared.domain.models import PATCH_MODEL, ModelSpec
from shared.policies.rbac import app_roles, granted
from shared.ports.registry import FakeModelRegistry, FakePromotionLog
from shared.services.admin.access import AccessService, Caller
from shared.services.models.cards import ModelCards

SPEC = ModelSpec(ProviderKind.SCRIPTED, "demo", "patch_udiff.v1", "sha256:00", "udiff")


class Access(AccessService):
    """The admin API's access checks, with the tenant's Entra ID check stood in for: the token
    names the roles."""

    def __init__(self) -> None:
        pass

    def tenant_caller(self, tenant: str, authorization: str | None) -> Caller:
        if not authorization:
            raise Unauthenticated("no bearer token")
        roles = frozenset(r for r in authorization.removeprefix("Bearer ").split(",") if r)
        principal = Principal("oid", "user@contoso.com", "tid", roles)
        return Caller(principal, granted(app_roles(roles)))


@pytest.fixture(autouse=True)
def app(monkeypatch) -> None:
    registry = FakeModelRegistry()
    registry.register(PATCH_MODEL, SPEC, description="", created_by="migration")
    cards = ModelCards(registry, FakePromotionLog())
    stub = SimpleNamespace(
        admin=SimpleNamespace(access=Access()),
        model_cards=cards,
        settings=SimpleNamespace(api_max_body_bytes=1024),
    )
    monkeypatch.setattr(shared.bootstrap, "container", lambda: stub)


def get(
    version: str = "1",
    *,
    tenant: str | None = "acme",
    token: str | None = "Viewer",
    accept: str = "application/json",
    name: str = PATCH_MODEL,
) -> func.HttpResponse:
    headers = {"Accept": accept} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = func.HttpRequest(
        "GET",
        f"/api/models/{name}/versions/{version}/card",
        headers=headers,
        params={"tenant": tenant} if tenant else {},
        route_params={"model": name, "version": version},
        body=b"",
    )
    return asyncio.run(dispatch(BY_ID["getModelCard"], request, None))


def test_json_and_markdown_by_accept() -> None:
    as_json = get()
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert json.loads(as_json.get_body())["model_details"]["model"] == "demo"
    as_markdown = get(accept="text/markdown")
    assert as_markdown.status_code == 200 and as_markdown.mimetype == "text/markdown"
    assert as_markdown.get_body().decode().startswith("# Model card: patch-generator version 1")


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"token": None}, 401, "unauthenticated"),
        ({"token": ","}, 403, "role-required"),
        ({"tenant": None}, 400, "tenant-required"),
        ({"tenant": "x\x00"}, 400, "invalid-text"),
        ({"version": "0"}, 400, "invalid-model-version"),
        ({"version": "1e3"}, 400, "invalid-model-version"),
        ({"name": "Bad_Name"}, 400, "invalid-model-name"),
        ({"version": "7"}, 404, "model-not-found"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_code(kwargs, status, code) -> None:
    response = get(**kwargs)
    assert response.status_code == status
    assert json.loads(response.get_body())["code"] == code


def test_the_openapi_document_describes_both_media_types_and_the_required_tenant() -> None:
    from shared.api.openapi import document

    spec = document()["paths"]["/api/models/{model}/versions/{version}/card"]["get"]
    assert set(spec["responses"]["200"]["content"]) == {"application/json", "text/markdown"}
    tenant = next(p for p in spec["parameters"] if p["name"] == "tenant")
    assert (tenant["in"], tenant["required"]) == ("query", True)
    assert spec["x-roles"] == ["Approver", "Auditor", "TenantAdmin", "Viewer"]
    assert spec["x-scope"] == "tenant"
