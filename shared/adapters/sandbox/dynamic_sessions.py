"""The Azure sandbox: Azure Container Apps dynamic sessions (a custom-container session pool).

Each ``run`` is one fresh session (``identifier`` = tenant + random id, never reused): every
session is a Hyper-V sandbox of its own, and the pool has egress disabled, so nothing a check
does reaches the platform or the internet. Through the pool's data-plane REST API
(``api-version`` ``API_VERSION``, a bearer token for ``SCOPE`` from azure-identity, in Azure the
Function App's managed identity with the *Azure ContainerApps Session Executor* role):

1. ``POST /files``: the workspace as ``workspace.tar.gz``;
2. ``POST /executions``: unpack it, run the program under ulimits (CPU, memory, processes, file
   size) with the wall limit as ``timeoutInSeconds``, pack the workspace as ``result.tar.gz``;
3. ``GET /files/result.tar.gz/content``: the workspace after the run, unpacked over the local
   one (regular files and directories only; nothing outside it).

HTTP errors map to domain errors: 401/403 ``SandboxAuthError``, 429 ``SandboxRateLimited`` (with
``Retry-After``), 5xx and transport failures ``SandboxBusy`` (retryable), anything else
``SandboxError``. The program failing or timing out is a result, not an error.
"""

from __future__ import annotations

import io
import math
import shlex
import tarfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from shared.domain.errors import (
    SandboxAuthError,
    SandboxBusy,
    SandboxError,
    SandboxRateLimited,
)
from shared.ports.sandbox import Limits, Sandbox, SandboxRun, Usage, tail

API_VERSION = "2025-10-02-preview"
SCOPE = "https://dynamicsessions.io/.default"
_RESULT = "result.tar.gz"


class DynamicSessionsSandbox(Sandbox):
    """``endpoint``: the pool's management endpoint; ``credential``: an azure-identity
    ``TokenCredential`` (``ManagedIdentityCredential`` in Azure)."""

    name = "dynamic-sessions"

    def __init__(
        self,
        endpoint: str | None,
        credential: Any,
        *,
        transfer_timeout_s: float = 120.0,
    ) -> None:
        self._endpoint = (endpoint or "").rstrip("/")
        self._credential = credential
        self._transfer_timeout_s = transfer_timeout_s

    def unavailable_reason(self) -> str | None:
        return None if self._endpoint else "SANDBOX_POOL_ENDPOINT is not set"

    def run(self, tenant: str, workspace: Path, argv: Sequence[str], limits: Limits) -> SandboxRun:
        identifier = f"{tenant}-{uuid.uuid4().hex}"
        with httpx.Client(timeout=self._transfer_timeout_s + limits.wall_s) as client:
            self._call(
                client,
                "POST",
                "files",
                identifier,
                files={"file": ("workspace.tar.gz", _pack(workspace), "application/gzip")},
            )
            body = {
                "codeInputType": "inline",
                "executionType": "synchronous",
                "code": _script(argv, limits),
                "timeoutInSeconds": math.ceil(limits.wall_s),
            }
            execution = self._call(client, "POST", "executions", identifier, json=body).json()
            timed_out = execution.get("status") != "Succeeded"
            result = execution.get("result") or {}
            if not timed_out:
                archive = self._call(client, "GET", f"files/{_RESULT}/content", identifier)
                _unpack(archive.content, workspace)
        output = f"{result.get('stdout') or ''}{result.get('stderr') or ''}"
        code = result.get("executionResult")
        usage = Usage(wall_s=round((result.get("executionTimeInMilliseconds") or 0) / 1000, 3))
        exit_code = None if timed_out else int(code if code is not None else 1)
        return SandboxRun(exit_code, timed_out, tail(output), usage)

    def _call(
        self, client: httpx.Client, method: str, path: str, identifier: str, **kwargs: Any
    ) -> httpx.Response:
        token = self._credential.get_token(SCOPE).token
        params = {"api-version": API_VERSION, "identifier": identifier}
        try:
            response = client.request(
                method,
                f"{self._endpoint}/{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise SandboxBusy(f"session pool unreachable: {type(exc).__name__}") from exc
        if response.is_success:
            return response
        message = f"session pool answered {response.status_code} to {method} /{path}"
        if response.status_code in (401, 403):
            raise SandboxAuthError(message)
        if response.status_code == 429:
            retry = response.headers.get("Retry-After")
            after = float(retry) if retry and retry.isdigit() else None
            raise SandboxRateLimited(message, retry_after=after)
        if response.status_code >= 500:
            raise SandboxBusy(message)
        raise SandboxError(f"{message}: {response.text[:300]}")


def _script(argv: Sequence[str], limits: Limits) -> str:
    """Unpack, run under ulimits in the workspace, pack it back; exit with the program's code."""
    kib = limits.memory_mib * 1024
    blocks = limits.disk_mib * 2048  # 512-byte blocks
    run = (
        f"ulimit -t {limits.cpu_s} -v {kib} -u {limits.processes} -f {blocks}; "
        f"exec {shlex.join(argv)}"
    )
    return (
        "rm -rf ws && mkdir ws && tar -xzf workspace.tar.gz -C ws && cd ws && "
        f"(sh -c {shlex.quote(run)}); code=$?; "
        f"cd .. && tar -czf {_RESULT} -C ws . ; exit $code"
    )


def _pack(workspace: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(workspace, arcname=".")
    return buffer.getvalue()


def _unpack(data: bytes, workspace: Path) -> None:
    """The session's workspace over the local one: the ``data`` filter refuses absolute paths,
    ``..``, links out of the tree and device files."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(workspace, filter="data")
