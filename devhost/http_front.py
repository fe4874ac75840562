"""The HTTP front end: serves every HTTP-triggered function of the app.

Routes are ``{routePrefix}/{route}`` with the host's template syntax (see ``routing``). A path no
route matches gets 404; a path that matches only routes with other methods gets 405 with an
``Allow`` header. The request becomes a ``func.HttpRequest``; durable client bindings receive the
binding JSON; the function's return value (``func.HttpResponse``, ``str``, ``bytes``, a JSON-able
value or ``None``) becomes the response, with the worker's content-type rules. An exception in the
function gives 500 and is logged with its traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func
from aiohttp import web

from devhost.http_telemetry import traced_request
from devhost.invoker import Invoker
from devhost.loader import AppFunction, FunctionKind, LoadedApp
from devhost.routing import MethodNotAllowed, RouteMatch, Router

log = logging.getLogger("devhost.http")


def full_route(prefix: str, route: str) -> str:
    """The path template a function is served at (``/api/...``)."""
    joined = "/".join(part.strip("/") for part in (prefix, route) if part.strip("/"))
    return "/" + joined


def build_router(app: LoadedApp, route_prefix: str) -> Router[AppFunction]:
    router: Router[AppFunction] = Router()
    for function in app.of_kind(FunctionKind.HTTP):
        router.add(
            full_route(route_prefix, function.route or function.name), function.methods, function
        )
    return router


async def to_func_request(request: web.Request, route_params: dict[str, str]) -> func.HttpRequest:
    headers: dict[str, str] = {}
    for key in request.headers:
        headers.setdefault(key.lower(), ", ".join(request.headers.getall(key)))
    params: dict[str, str] = {}
    for key, value in request.query.items():
        params.setdefault(key, value)
    return func.HttpRequest(
        request.method,
        str(request.url),
        headers=headers,
        params=params,
        route_params=route_params,
        body=await request.read(),
    )


def to_web_response(result: Any) -> web.Response:
    """Map a function's return value to a response, as the worker's HTTP converter does."""
    if isinstance(result, func.HttpResponse):
        headers = {k: v for k, v in result.headers.items()}
        if not any(k.lower() == "content-type" for k in headers):
            mimetype = result.mimetype or "text/plain"
            charset = f"; charset={result.charset}" if mimetype.startswith("text/") else ""
            headers["Content-Type"] = mimetype + charset
        return web.Response(status=result.status_code, body=result.get_body(), headers=headers)
    if result is None:
        return web.Response(status=204)
    if isinstance(result, str):
        return web.Response(text=result, content_type="text/plain")
    if isinstance(result, bytes | bytearray):
        return web.Response(body=bytes(result), content_type="application/octet-stream")
    return web.Response(text=json.dumps(result), content_type="application/json")


class HttpFront:
    """Dispatches requests to HTTP functions; ``client_binding`` gives the durable binding JSON."""

    def __init__(
        self,
        app: LoadedApp,
        route_prefix: str,
        invoker: Invoker,
        client_binding: Callable[[], str],
    ) -> None:
        self._router = build_router(app, route_prefix)
        self._prefix = route_prefix
        self._invoker = invoker
        self._client_binding = client_binding

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            match = self._router.resolve(request.method, request.path)
        except MethodNotAllowed as exc:
            return web.Response(
                status=405,
                text=f"Method {request.method} is not allowed for {request.path}",
                headers={"Allow": ", ".join(exc.allowed)},
            )
        if match is None:
            return web.Response(status=404, text=f"No HTTP function serves {request.path}")
        function = match.target
        route = full_route(self._prefix, function.route or function.name)
        return await traced_request(
            request, route, match.params, lambda: self._invoke(match, request)
        )

    async def _invoke(self, match: RouteMatch[AppFunction], request: web.Request) -> web.Response:
        function = match.target
        args: dict[str, Any] = {
            function.trigger_param: await to_func_request(request, match.params)
        }
        for name in function.client_params:
            args[name] = self._client_binding()
        try:
            result = await self._invoker.call(
                function, args, trace_parent=request.headers.get("traceparent", "")
            )
        except Exception:
            log.exception("function %s failed", function.name)
            return web.Response(status=500, text=f"Function {function.name!r} failed")
        return to_web_response(result)
