"""Request decoding and response shapes shared by the management API handlers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from devhost.durable.client_binding import WEBHOOK_PATH, management_urls


def flag(request: web.Request, name: str, default: bool) -> bool:
    """A boolean query parameter (``True``/``true``; anything else is false)."""
    value = request.query.get(name)
    return default if value is None else value.strip().lower() == "true"


def json_response(body: Any, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        text=json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def error(status: int, message: str, exception: str | None = None) -> web.Response:
    """``{"Message", "ExceptionMessage"}``, the shape of ASP.NET's error responses."""
    body = {"Message": message}
    if exception is not None:
        body["ExceptionMessage"] = exception
    return json_response(body, status)


def decode_once(raw: str) -> str | None:
    """Body text -> stored JSON text.

    The SDK sends JSON text wrapped in a JSON string literal; other clients may send plain
    JSON, which is stored as sent. Raises ``json.JSONDecodeError`` for invalid JSON.
    """
    if not raw.strip():
        return None
    value = json.loads(raw)
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return json.dumps(value)
        return value
    return json.dumps(value)


def check_status_response(request: web.Request, hub: str, instance_id: str) -> web.Response:
    """202 with the management URLs (at the request's origin), Location and Retry-After."""
    origin = f"{request.scheme}://{request.host}"
    urls = management_urls(origin + WEBHOOK_PATH, hub, instance_id)
    body = {k: v for k, v in urls.items() if k != "rewindPostUri"}
    headers = {"Location": body["statusQueryGetUri"], "Retry-After": "10"}
    return json_response(body, 202, **headers)
