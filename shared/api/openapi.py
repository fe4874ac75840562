"""The OpenAPI 3.1 document of the admin API, generated from ``OPERATIONS`` and the pydantic
models, so the document cannot drift from what the dispatcher enforces.

Each protected operation carries ``x-roles`` (the app roles of which one is needed) and
``x-scope`` (whose directory must issue the token): the role x operation matrix is read from
here by the tests.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.api import (
    audit_models,
    models,
    registry_models,
    session_models,
    task_models,
    tenant_models,
)
from shared.api.operations import OPERATIONS, Operation

PROBLEM = "application/problem+json"
_REF = "#/components/schemas/{model}"
_PATH_PARAMS: dict[str, dict[str, Any]] = {
    "tenant": {"type": "string", "pattern": r"^[a-z][a-z0-9-]{1,40}$"},
    "task": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"},
    "connection": {"type": "integer", "minimum": 1, "maximum": 2**62},
    "provider": {"type": "string", "enum": ["github", "gitlab", "azure-devops"]},
    "scm_user": {"type": "string", "pattern": r"^[^\s/?#%]{1,200}$"},
    "object_id": {"type": "string", "pattern": r"^[A-Za-z0-9-]{1,100}$"},
    "role": {"type": "string", "enum": ["TenantAdmin", "Approver", "Auditor", "Viewer"]},
    "model": {"type": "string", "pattern": r"^[a-z][a-z0-9-]{0,62}$"},
    "version": {"type": "integer", "minimum": 1, "maximum": 10**9 - 1},
}
_PARAM = re.compile(r"\{(\w+)\}")


_MODEL_MODULES = (
    models, tenant_models, task_models, session_models, audit_models, registry_models,
)  # fmt: skip


def model(name: str) -> type[BaseModel]:
    """The body model ``name``: a class of ``shared.api.models`` or of one of its resource
    modules beside it (``*_models``). An unknown name is an ``AttributeError`` (a bug in the
    operation table, caught by the tests)."""
    for module in _MODEL_MODULES:
        found = getattr(module, name, None)
        if found is not None:
            break
    else:
        raise AttributeError(f"no admin API model named {name!r}")
    assert isinstance(found, type) and issubclass(found, BaseModel)
    return found


@cache
def document() -> dict[str, Any]:
    """The document (built once per process; the caller must not change it)."""
    used: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (model(op.request), "validation") for op in OPERATIONS if op.request
    ]
    used += [(model(op.response), "serialization") for op in OPERATIONS if op.response]
    used.append((models.Problem, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(used)), ref_template=_REF)
    schemas = defs.get("$defs", {})

    def ref(name: str, mode: str) -> dict[str, Any]:
        return dict(refs[(model(name), mode)])  # type: ignore[index]

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(f"/api/{op.route}", {})[op.method.lower()] = _operation(op, ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AI Code Agent admin API",
            "version": "1.0.0",
            "description": "Tenants, connections, policies, tasks, approvals, audit and usage "
            "for SSO users (Entra ID bearer tokens; app roles PlatformAdmin, TenantAdmin, "
            "Approver, Auditor, Viewer). Errors are RFC 9457 problem details with a "
            "machine-readable `code`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "responses": {
                "Problem": {
                    "description": "An error (RFC 9457)",
                    "content": {PROBLEM: {"schema": {"$ref": _REF.format(model="Problem")}}},
                }
            },
        },
    }


def _operation(op: Operation, ref: Any) -> dict[str, Any]:
    problem = {"$ref": "#/components/responses/Problem"}
    success: dict[str, Any] = {"description": op.summary}
    if op.response and op.media_type == "application/json":
        success["content"] = {op.media_type: {"schema": ref(op.response, "serialization")}}
    elif op.response:
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    if op.alternative:
        success["content"][op.alternative] = {"schema": {"type": "string"}}
    if op.etag:
        success["headers"] = {"ETag": {"schema": {"type": "string"}}}
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _PATH_PARAMS[name]}
        for name in _PARAM.findall(op.route)
    ]
    if op.query:
        query = model(op.query).model_json_schema()
        for name, schema in query["properties"].items():
            required = name in query.get("required", ())
            parameters.append({"name": name, "in": "query", "required": required, "schema": schema})
    if op.etag and op.method == "PUT":
        parameters.append(
            {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
        )
    spec: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": {str(op.status): success, "default": problem},
    }
    if op.request:
        spec["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(op.request, "validation")}},
        }
    if op.roles is None:
        spec["security"] = []
    else:
        spec["security"] = [{"bearer": []}]
        spec["x-roles"] = sorted(op.roles)
        spec["x-scope"] = op.scope
        if op.requester_may:
            spec["x-requester-may"] = True
    return spec
