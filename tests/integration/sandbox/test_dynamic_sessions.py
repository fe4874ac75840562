"""``DynamicSessionsSandbox`` with azure-identity's ``ManagedIdentityCredential`` against a local
session pool that speaks the dynamic-sessions data-plane API (and runs the image's agent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.identity import ManagedIdentityCredential

from shared.adapters.sandbox.dynamic_sessions import DynamicSessionsSandbox
from shared.domain.errors import SandboxAuthError, SandboxBusy, SandboxRateLimited
from shared.ports.sandbox import Limits
from tests.integration.sandbox.sessions_server import SessionPool


@pytest.fixture
def pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionPool]:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    served = SessionPool(sessions)
    with served.running():
        monkeypatch.setenv("IDENTITY_ENDPOINT", served.url + "/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", served.identity_header)
        yield served


@pytest.fixture
def sandbox(pool: SessionPool) -> Iterator[DynamicSessionsSandbox]:
    credential = ManagedIdentityCredential()
    yield DynamicSessionsSandbox(pool.endpoint, credential)
    credential.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    (path / "app.py").write_text("print('hello from the session')\n")
    return path


def test_upload_run_and_download_the_workspace(
    pool: SessionPool, sandbox: DynamicSessionsSandbox, workspace: Path
) -> None:
    argv = ["sh", "-c", "python3 app.py && echo built > out.txt && exit 3"]
    run = sandbox.run("acme", workspace, argv, Limits(wall_s=30))
    assert (run.exit_code, run.timed_out) == (3, False)
    assert "hello from the session" in run.output_tail
    assert (workspace / "out.txt").read_text() == "built\n"  # downloaded back
    [session] = pool.sessions()
    assert session.startswith("acme-")
    calls = [(method, path) for method, path, _ in pool.requests]
    assert calls == [
        ("POST", "/pool/files"),
        ("POST", "/pool/executions"),
        ("GET", "/pool/files/result.tar.gz/content"),
    ]
    assert {q["identifier"][0] for _, _, q in pool.requests} == {session}
    assert pool.token_requests == 1  # azure-identity caches the managed-identity token


def test_every_run_gets_a_fresh_session(
    pool: SessionPool, sandbox: DynamicSessionsSandbox, workspace: Path
) -> None:
    sandbox.run("acme", workspace, ["true"], Limits(wall_s=30))
    sandbox.run("globex", workspace, ["true"], Limits(wall_s=30))
    first, second = pool.sessions()
    assert first.startswith("acme-") and second.startswith("globex-")


def test_a_program_past_its_wall_limit_is_reported_timed_out(
    sandbox: DynamicSessionsSandbox, workspace: Path
) -> None:
    run = sandbox.run("acme", workspace, ["sleep", "30"], Limits(wall_s=1))
    assert run.timed_out and run.exit_code is None and not run.passed


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (401, {}, SandboxAuthError),
        (403, {}, SandboxAuthError),
        (429, {"Retry-After": "7"}, SandboxRateLimited),
        (503, {}, SandboxBusy),
        (500, {}, SandboxBusy),
    ],
)
def test_service_errors_map_to_domain_errors(
    pool: SessionPool,
    sandbox: DynamicSessionsSandbox,
    workspace: Path,
    status: int,
    headers: dict[str, str],
    error: type[Exception],
) -> None:
    pool.fail_next(status, headers=headers)
    with pytest.raises(error) as caught:
        sandbox.run("acme", workspace, ["true"], Limits(wall_s=30))
    if status == 429:
        assert caught.value.retry_after == 7  # type: ignore[attr-defined]
        assert caught.value.retryable  # type: ignore[attr-defined]
    if status >= 500:
        assert caught.value.retryable  # type: ignore[attr-defined]


def test_a_wrong_token_is_an_auth_error(pool: SessionPool, workspace: Path) -> None:
    class Stale:
        def get_token(self, *scopes: str) -> object:
            return type("Token", (), {"token": "stale"})()

    with pytest.raises(SandboxAuthError):
        DynamicSessionsSandbox(pool.endpoint, Stale()).run(
            "acme", workspace, ["true"], Limits(wall_s=30)
        )


def test_an_unreachable_pool_is_busy_and_no_endpoint_is_unavailable(workspace: Path) -> None:
    class Token:
        def get_token(self, *scopes: str) -> object:
            return type("Token", (), {"token": "t"})()

    with pytest.raises(SandboxBusy):
        DynamicSessionsSandbox("http://127.0.0.1:9", Token(), transfer_timeout_s=2).run(
            "acme", workspace, ["true"], Limits(wall_s=1)
        )
    assert DynamicSessionsSandbox(None, Token()).unavailable_reason()
