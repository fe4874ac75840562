"""The admin API's shared body pieces: the base of every request (unknown fields are refused: a
typo is a 400, not silently ignored), the problem details every error answers with, paging, and
the names several resources share. The bodies themselves live by resource beside this module
(``tenant_models``, ``task_models``, ``session_models``, ``audit_models``, ``registry_models``);
the OpenAPI document is generated from all of them (``shared.api.openapi``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TenantRoleName = Literal["TenantAdmin", "Approver", "Auditor", "Viewer"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is the machine-readable error."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    openapi: str


class PageQuery(Request):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)
