"""MLflow behind Entra ID: the real ``MlflowClient`` against a local HTTP server speaking the
tracking server's REST API, authenticated with an azure-identity-shaped credential's token that
is cached with its expiry, refreshed 5 minutes early and never logged."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from azure.core.credentials import AccessToken

from shared.adapters.registry.entra_auth import EntraBearerAuth
from shared.adapters.registry.mlflow import MlflowModelRegistry

SCOPE = "api://00000000-0000-0000-0000-00000000dd01/.default"


class FakeCredential:
    """A ``TokenCredential``: a new token on each call, valid one hour from the fake clock."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock
        self.calls: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(f"entra-token-{len(self.calls)}", int(self.clock[0]) + 3600)


class TrackingServer(BaseHTTPRequestHandler):
    """Answers ``GET /api/2.0/mlflow/model-versions/search`` (no versions) when the bearer
    token is one the fake directory issued; 401 otherwise, as Container Apps auth does."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization", "")
        type(self).seen.append(authorization)
        ok = authorization.startswith("Bearer entra-token-")
        found = self.path.startswith("/api/2.0/mlflow/model-versions/search")
        body = json.dumps({"model_versions": []} if ok else {"error_code": "UNAUTHENTICATED"})
        self.send_response(200 if ok and found else 401 if not ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    TrackingServer.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), TrackingServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_static_token(monkeypatch) -> None:
    """The token comes from the credential only (and ``install``'s selection is undone)."""
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_AUTH"):
        monkeypatch.setenv(name, "")  # so that the teardown restores it, whatever install set
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


def test_the_token_is_cached_then_refreshed_five_minutes_before_it_expires(server, caplog):
    clock = [1_000_000.0]
    credential = FakeCredential(clock)
    auth = EntraBearerAuth(credential, SCOPE, clock=lambda: clock[0])
    registry = MlflowModelRegistry(server, auth=auth)
    caplog.set_level(logging.DEBUG)

    assert registry.versions("patch-generator") == []
    clock[0] += 3600 - 301  # 5 min and 1 s before expiry: still the cached token
    assert registry.versions("patch-generator") == []
    assert credential.calls == [(SCOPE,)]
    clock[0] += 2  # inside the 5-minute margin: a new token before the old one lapses
    assert registry.versions("patch-generator") == []

    assert TrackingServer.seen == [
        "Bearer entra-token-1",
        "Bearer entra-token-1",
        "Bearer entra-token-2",
    ]
    assert credential.calls == [(SCOPE,), (SCOPE,)]
    assert "entra-token" not in caplog.text and "entra-token" not in repr(auth)


def test_without_the_auth_the_server_refuses(server):
    from shared.domain.errors import Unavailable

    with pytest.raises(Unavailable):
        MlflowModelRegistry(server).versions("patch-generator")
    assert TrackingServer.seen == [""]
