"""Blob Storage artifacts through the real azure-storage-blob SDK, against Azurite."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.storage.blob import BlobServiceClient

from shared.adapters.artifacts.blob import BlobArtifactStore
from shared.domain.errors import ConfigurationError, Conflict, PermissionDenied, Unavailable
from tests.integration.artifacts.conftest import DEV_ACCOUNT, connection_string


def _service(port: int) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(connection_string(port))


def test_blob_is_named_tenant_slash_key_and_keeps_its_content_type(
    azurite_port, blob_container, blob_store
) -> None:
    uri = blob_store.put("acme", "tasks/t1/patch.diff", b"diff", "text/x-diff")
    assert uri == (
        f"http://127.0.0.1:{azurite_port}/{DEV_ACCOUNT}/{blob_container}/acme/tasks/t1/patch.diff"
    )
    blob = _service(azurite_port).get_blob_client(blob_container, "acme/tasks/t1/patch.diff")
    assert blob.get_blob_properties().content_settings.content_type == "text/x-diff"


def test_missing_container_is_created_by_the_first_upload_only(
    azurite_port, blob_container, blob_store
) -> None:
    container = _service(azurite_port).get_container_client(blob_container)
    assert blob_store.list("acme") == []
    assert not blob_store.exists("acme", "a")
    assert not container.exists()
    blob_store.put("acme", "a", b"x")
    assert container.exists()


def test_racing_uploads_of_different_bytes_keep_exactly_one(blob_store) -> None:
    blob_store.put("acme", "warm-up", b"creates the container")

    def put(n: int) -> str:
        try:
            blob_store.put("acme", "contested", f"writer {n}".encode())
            return "won"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(put, range(12)))
    assert outcomes.count("won") == 1
    assert blob_store.get("acme", "contested").startswith(b"writer ")


def test_wrong_account_key_is_permission_denied(azurite_port, blob_container) -> None:
    wrong_key = (
        "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ=="
    )
    store = BlobArtifactStore(
        blob_container, connection_string=connection_string(azurite_port, wrong_key)
    )
    with pytest.raises(PermissionDenied):
        store.put("acme", "a", b"x")


def test_dropped_connection_is_unavailable_after_one_attempt(blob_container) -> None:
    attempts: list[int] = []
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)

    def drop_connections() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            attempts.append(1)
            conn.recv(65536)
            conn.close()

    thread = threading.Thread(target=drop_connections, daemon=True)
    thread.start()
    try:
        store = BlobArtifactStore(
            blob_container, connection_string=connection_string(listener.getsockname()[1])
        )
        with pytest.raises(Unavailable):
            store.get("acme", "a")
        time.sleep(0.2)  # time for a retry to arrive, were there one
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    assert len(attempts) == 1


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"connection_string": "UseDevelopmentStorage=true", "account_url": "https://x"}],
)
def test_exactly_one_way_to_reach_the_account_is_required(kwargs) -> None:
    with pytest.raises(ConfigurationError):
        BlobArtifactStore("artifacts", **kwargs)


def test_each_tenant_uploads_under_its_own_encryption_scope(azurite_port, blob_container) -> None:
    """Put Blob asks for the tenant's scope (``x-ms-encryption-scope``, as Azure documents it).
    Azurite keeps no encryption scopes (its README lists them as unsupported), so this reads what
    the SDK sent; that the scope exists on the tenant's key is the infrastructure's contract
    (infra/pulumi/tests/test_app_contract.py)."""
    sent: list[tuple[str, str, str | None]] = []

    def record(request) -> None:
        http = request.http_request
        if http.method == "PUT":
            sent.append((http.method, http.url, http.headers.get("x-ms-encryption-scope")))

    store = BlobArtifactStore(
        blob_container,
        connection_string=connection_string(azurite_port),
        encryption_scopes=True,
        raw_request_hook=record,
    )
    store.put("acme", "a.diff", b"acme's")
    store.put("globex", "a.diff", b"globex's")
    store.put("acme", "a.diff", b"acme's")  # an idempotent retry asks for the same scope

    # every blob upload (the first one twice: it found no container) names its tenant's scope
    scopes = [(url.rsplit("/", 2)[-2], scope) for _, url, scope in sent if "a.diff" in url]
    assert {tenant for tenant, _ in scopes} == {"acme", "globex"} and len(scopes) == 4
    assert all(scope == f"tenant-{tenant}" for tenant, scope in scopes), scopes
    assert store.get("globex", "a.diff") == b"globex's"


def test_without_encryption_scopes_no_scope_is_asked_for(azurite_port, blob_container) -> None:
    sent: list[str | None] = []
    store = BlobArtifactStore(
        blob_container,
        connection_string=connection_string(azurite_port),
        raw_request_hook=lambda r: sent.append(r.http_request.headers.get("x-ms-encryption-scope")),
    )
    store.put("acme", "a", b"x")
    assert sent and set(sent) == {None}
