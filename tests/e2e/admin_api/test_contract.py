"""The admin API's contract on devhost: the OpenAPI document it serves, and the role x
operation matrix (allowed / 403 / 401) for EVERY operation, read from that document."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from openapi_spec_validator import validate

from shared.api.operations import OPERATIONS
from tests.e2e.admin_api.conftest import PLATFORM_DIRECTORY
from tests.e2e.admin_api.rows import insert_task

#: What each app role may do, as the issue states it: the expectation the matrix is held to.
GRANTS = {
    "PlatformAdmin": {"PlatformAdmin"},
    "TenantAdmin": {"TenantAdmin", "Approver", "Viewer"},
    "Approver": {"Approver", "Viewer"},
    "Auditor": {"Auditor", "Viewer"},
    "Viewer": {"Viewer"},
}
#: Path values that make an allowed call harmless (unknown objects, or bodies that fail); the
#: task is a running one somebody else requested (cancelling it is the one real change).
PARAMS = {
    "connection": "987654",
    "provider": "gitlab",
    "scm_user": "nobody",
    "object_id": "00000000-0000-0000-0000-00000000abcd",
    "role": "Viewer",
    "model": "no-such-model",
    "version": "999",
}


def _served(api) -> dict:
    code, document = api.call("GET", "openapi.json")
    assert code == 200
    return document


def test_the_served_document_is_valid_openapi_3_1_and_lists_every_operation(api):
    document = _served(api)
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    served = {
        spec["operationId"]: (method.upper(), path)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    }
    assert served == {op.id: (op.method, f"/api/{op.route}") for op in OPERATIONS}
    for path, methods in document["paths"].items():
        for spec in methods.values():
            protected = spec["security"] != []
            assert protected == ("x-roles" in spec), path
            assert spec["responses"]["default"]["$ref"] == "#/components/responses/Problem"


def _matrix(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, spec)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
        if "x-roles" in spec
    ]


def _send(api, method: str, path: str, headers: dict[str, str] | None, *, raw: bool = False):
    body = b"{}" if method in ("POST", "PUT") else None
    request = urllib.request.Request(
        api.base_url + path, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_role_by_operation_matrix_for_every_operation(api, app, demo_tenant):
    tenant = demo_tenant()
    someone_elses = insert_task(app, tenant.slug, requester="octo-other", status="running")
    document = _served(api)
    operations = _matrix(document)
    assert len(operations) == sum(1 for op in OPERATIONS if op.roles is not None)
    # Only operations about the caller themselves need no role (they name none).
    for _, _, spec in operations:
        assert (spec["x-roles"] == []) == (spec["x-scope"] == "user"), spec["operationId"]
    seen: dict[str, dict[str, int]] = {}
    for method, template, spec in operations:
        scope = spec["x-scope"]
        if scope == "user":  # any signed-in user, about themselves: test_console_session.py
            continue
        slug = tenant.slug if scope == "tenant" else "ghost-tenant"
        values = {**PARAMS, "tenant": slug, "task": someone_elses}
        path = template.format(**values)
        if scope == "tenant" and "{tenant}" not in template:
            path += f"?tenant={slug}"  # the tenant of a route fixed without it (model cards)

        status, content_type, raw = _send(api, method, path, None)
        assert status == 401, (spec["operationId"], status, raw)
        assert content_type.startswith("application/problem+json")
        assert json.loads(raw)["code"] == "unauthenticated"

        row = seen.setdefault(spec["operationId"], {})
        for role, grants in GRANTS.items():
            directory = PLATFORM_DIRECTORY if role == "PlatformAdmin" else tenant.directory_id
            headers = api.token(directory, f"{role.lower()}@contoso.example", role)
            status, content_type, raw = _send(api, method, path, headers)
            allowed = bool(grants & set(spec["x-roles"]))
            row[role] = status
            if allowed:
                assert status not in (401, 403, 500), (spec["operationId"], role, status, raw)
            else:
                assert status == 403, (spec["operationId"], role, status, raw)
                assert content_type.startswith("application/problem+json")
    # Every operation had an allowed role and a refused one.
    for operation, statuses in seen.items():
        assert any(s != 403 for s in statuses.values()), operation
        assert any(s == 403 for s in statuses.values()), operation


def test_a_token_of_another_directory_is_refused_even_with_the_role(api, demo_tenant):
    tenant, other = demo_tenant(), demo_tenant()
    foreign = api.token(other.directory_id, "admin@other.example", "TenantAdmin", "Auditor")
    for path in (f"tenants/{tenant.slug}/tasks", f"tenants/{tenant.slug}/audit/verify"):
        code, body = api.call("GET", path, foreign)
        assert (code, body["code"]) == (403, "permission-denied")
    platform = api.token(tenant.directory_id, "admin@contoso.example", "PlatformAdmin")
    code, body = api.call("GET", "tenants", platform)
    assert code == 403


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_malformed_tokens_are_401_problems(api, demo_tenant, token):
    tenant = demo_tenant()
    code, body = api.call(
        "GET", f"tenants/{tenant.slug}/tasks", {"Authorization": f"Bearer {token}"}
    )
    assert (code, body["code"], body["status"]) == (401, "unauthenticated", 401)


def test_bodies_over_the_limit_are_413_before_anything_is_read(api, app, demo_tenant):
    tenant = demo_tenant()
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    huge = {"agent_accounts": ["x" * 100] * (app.settings.api_max_body_bytes // 100)}
    code, body = api.call("PUT", f"tenants/{tenant.slug}/policies/trigger", admin, huge)
    assert (code, body["code"]) == (413, "payload-too-large")


def test_unknown_fields_and_bad_queries_are_400_with_a_code(api, demo_tenant):
    tenant = demo_tenant()
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    code, body = api.call("GET", f"tenants/{tenant.slug}/tasks?limit=0", viewer)
    assert (code, body["code"]) == (400, "invalid-query")
    code, body = api.call("GET", f"tenants/{tenant.slug}/tasks?cursor=%21%21", viewer)
    assert (code, body["code"]) == (400, "invalid-cursor")
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    code, body = api.call(
        "POST", f"tenants/{tenant.slug}/connections", admin, {"provider": "github", "x": 1}
    )
    assert (code, body["code"]) == (400, "invalid-body")
