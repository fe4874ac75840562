"""The admin API's HTTP edge: one path for every operation of ``shared.api.operations``.

In order: body size limit (413), the caller's token (401) and directory (403), the operation's
roles (403) — before anything about the request's content is read, so a caller without the
role learns nothing —, query and body against the operation's models (400), the use case, and
the answer checked against the response model (so the OpenAPI document holds). Domain errors
become RFC 9457 problem details with a machine-readable ``code``; nothing else escapes as a 500
without being logged.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.api.operations import Operation

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
EXECUTOR_THREADS = 32


@dataclass
class Request:
    """What a handler gets: the operation's validated inputs and the caller."""

    op: Operation
    params: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    if_match: str | None
    caller: Any  # access.Caller (an entra.Principal for user scope, None for public operations)
    app: Any  # shared.bootstrap.Container
    accept: str = ""  # the Accept header (operations with an ``alternative`` media type)


@dataclass
class Reply:
    body: Any = None
    version: str | None = None  # sent as the ETag
    text: str | None = None  # a non-JSON body (JSON Lines)
    media_type: str | None = None  # of ``text``, when not the operation's
    effect: Any = None  # async (Orchestrations) -> None, run after the use case
    headers: dict[str, str] = field(default_factory=dict)


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Any:
    body = {
        "type": f"urn:ai-code-agent:problem:{code}",
        "title": code.replace("-", " "),
        "status": status,
        "detail": detail,
        "code": code,
    }
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype=PROBLEM, headers=headers or None
    )


async def dispatch(
    op: Operation, req: func.HttpRequest, client: df.DurableOrchestrationClient | None
) -> func.HttpResponse:
    from shared.domain.errors import DomainError, RateLimited

    try:
        loop = asyncio.get_running_loop()
        reply: Reply = await loop.run_in_executor(_executor(), _prepare_and_handle, op, req)
        if reply.effect is not None and client is not None:
            from shared.adapters.durable.client import DurableOrchestrations

            await reply.effect(DurableOrchestrations(client))
        return _response(op, reply)
    except DomainError as exc:
        headers = {}
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        detail = "authentication required" if exc.http_status == 401 else exc.message
        if exc.http_status >= 500:
            log.error("admin API %s failed: %s (%s)", op.id, exc.message, exc.code)
        return problem(exc.http_status, exc.code, detail, headers)
    except Exception:
        log.exception("admin API %s crashed", op.id)
        return problem(500, "internal-error", "the request failed; it has been logged")


@functools.cache
def _executor() -> ThreadPoolExecutor:
    """Where the blocking part of every operation runs (token check, database, use case).

    Not the loop's default executor: that one has ``min(32, cpus + 4)`` threads (6 on a
    2-core instance), so under a few hundred callers requests queued for a thread while the
    database pool sat idle. Sized like the host's pool for synchronous functions; the database
    pools still bound how many of them touch PostgreSQL at once."""
    return ThreadPoolExecutor(EXECUTOR_THREADS, thread_name_prefix="admin-api")


def _prepare_and_handle(op: Operation, req: func.HttpRequest) -> Reply:
    """Authentication, validation and the use case in one hop to a worker thread."""
    from functions.api_handlers import HANDLERS

    return HANDLERS[op.id](_prepare(op, req))


def _prepare(op: Operation, req: func.HttpRequest) -> Request:
    from shared.bootstrap import container
    from shared.domain.errors import PayloadTooLarge

    app = container()
    raw = req.get_body() or b""
    if len(raw) > app.settings.api_max_body_bytes:
        raise PayloadTooLarge(f"the body is larger than {app.settings.api_max_body_bytes} bytes")
    params = dict(req.route_params)
    _check_text(params)
    caller: Any = None
    if op.roles is not None:
        access = app.admin.access
        authorization = req.headers.get("Authorization")
        if op.scope == "user":  # any signed-in user; the operation is only about them
            caller = access.user_principal(authorization)
        else:
            if op.scope == "platform":
                caller = access.platform_caller(authorization)
            else:
                caller = access.tenant_caller(_tenant_of(params, req), authorization)
            access.authorize(caller, _any_role() if op.requester_may else op.roles)
    return Request(
        op=op,
        params=params,
        query=_validated(op.query, dict(req.params), "invalid-query") if op.query else {},
        body=_validated(op.request, _json(raw), "invalid-body") if op.request else {},
        if_match=req.headers.get("If-Match"),
        caller=caller,
        app=app,
        accept=req.headers.get("Accept", ""),
    )


def _tenant_of(params: dict[str, str], req: func.HttpRequest) -> str:
    """The tenant a tenant operation acts on: its route's, else the ``tenant`` query parameter
    (routes fixed by links already published, such as model cards')."""
    from shared.domain.errors import InvalidInput

    tenant = params.get("tenant") or req.params.get("tenant")
    if not tenant:
        raise InvalidInput("the tenant query parameter is required", code="tenant-required")
    _check_text(tenant)
    return tenant


def _any_role() -> frozenset[str]:
    return frozenset({"TenantAdmin", "Approver", "Auditor", "Viewer"})


def _json(raw: bytes) -> Any:
    from shared.domain.errors import InvalidInput

    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("body is not valid JSON", code="malformed-json") from exc


def _validated(name: str, data: Any, code: str) -> dict[str, Any]:
    from pydantic import ValidationError

    from shared.api.openapi import model
    from shared.domain.errors import InvalidInput

    _check_text(data)
    try:
        parsed = model(name).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(f"{where}: {first['msg']}", code=code) from exc
    dumped: dict[str, Any] = parsed.model_dump(mode="python")
    return dumped


def _check_text(value: Any) -> None:
    """Refuse text PostgreSQL cannot store (NUL) or UTF-8 cannot encode (lone surrogates)."""
    from shared.domain.errors import InvalidInput

    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput("text is not valid Unicode", code="invalid-text") from exc
        if "\x00" in value:
            raise InvalidInput("text must not contain NUL characters", code="invalid-text")


def _response(op: Operation, reply: Reply) -> func.HttpResponse:
    headers = dict(reply.headers)
    if reply.version is not None:
        headers["ETag"] = f'"{reply.version}"'
    if op.response is None:
        return func.HttpResponse(status_code=op.status, headers=headers or None)
    if reply.text is not None:
        mimetype = reply.media_type or op.media_type
        return func.HttpResponse(
            reply.text, status_code=op.status, mimetype=mimetype, headers=headers or None
        )
    from shared.api.openapi import model

    checked = model(op.response).model_validate(reply.body).model_dump(mode="json")
    return func.HttpResponse(
        json.dumps(checked),
        status_code=op.status,
        mimetype="application/json",
        headers=headers or None,
    )
