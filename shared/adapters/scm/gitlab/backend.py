"""A python-gitlab HTTP backend that never retries and keeps the failing response's headers.

python-gitlab retries 429s by default (``obey_rate_limit``, up to ten times) and its errors drop
the response headers, so ``Retry-After`` would be lost. This backend raises ``GitlabStatusError``
for every 4xx/5xx response before python-gitlab's retry loop sees it. Imported lazily (it imports
python-gitlab).
"""

from __future__ import annotations

from typing import Any

from gitlab._backends.requests_backend import RequestsBackend, RequestsResponse


class GitlabStatusError(Exception):
    """A non-2xx response: status, headers and the server's message."""

    def __init__(self, status: int, headers: dict[str, str], message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.headers = headers
        self.message = message


def _message(response: RequestsResponse) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        for key in ("message", "error"):
            if key in body:
                return str(body[key])
    return response.reason or ""


class StrictBackend(RequestsBackend):
    def http_request(  # noqa: PLR0917 - the signature is python-gitlab's
        self,
        method: str,
        url: str,
        json: dict[str, Any] | bytes | None = None,
        data: dict[str, Any] | Any | None = None,
        params: Any | None = None,
        timeout: float | None = None,
        verify: bool | str | None = True,
        stream: bool | None = False,
        **kwargs: Any,
    ) -> RequestsResponse:
        response = super().http_request(
            method, url, json, data, params, timeout, verify, stream, **kwargs
        )
        if response.status_code >= 400:
            headers = dict(response.headers)
            raise GitlabStatusError(response.status_code, headers, _message(response))
        return response
