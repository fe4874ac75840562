"""HTTP helpers shared by the thin triggers: JSON responses and domain-error mapping."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from shared.domain.errors import DomainError, RateLimited

log = logging.getLogger(__name__)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, default=str),
        status_code=status,
        mimetype="application/json",
        headers=headers,
    )


def error_response(exc: DomainError) -> func.HttpResponse:
    """``{"error": <code>, "message": ...}`` with the error's status. 401s carry no detail."""
    headers = {}
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    message = "authentication required" if exc.http_status == 401 else exc.message
    if exc.http_status >= 500:
        log.error("request failed: %s (%s)", exc.message, exc.code)
    return json_response({"error": exc.code, "message": message}, exc.http_status, headers)
