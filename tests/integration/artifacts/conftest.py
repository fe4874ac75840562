"""Azurite (the Azure Storage emulator, from npm) for the Blob adapter's tests.

One Azurite blob service per test session, on a free loopback port with a temporary workspace;
each test gets its own container. Azurite comes from ``tools/azurite`` (pinned with a lockfile);
when it is not installed yet, the fixture runs ``npm ci`` there itself.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.artifacts.blob import BlobArtifactStore

TOOLS = Path(__file__).resolve().parents[3] / "tools" / "azurite"
AZURITE_VERSION = json.loads((TOOLS / "package.json").read_text())["dependencies"]["azurite"]
BLOB_MAIN = TOOLS / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
# Azurite's well-known development account: public, documented, accepted only by emulators.
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def connection_string(port: int, key: str = DEV_KEY) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{DEV_ACCOUNT};"
    )


def _installed_version() -> str | None:
    manifest = TOOLS / "node_modules" / "azurite" / "package.json"
    if not manifest.is_file() or not BLOB_MAIN.is_file():
        return None
    return str(json.loads(manifest.read_text())["version"])


def _ensure_installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed to run Azurite for the Blob adapter tests")
    with (TOOLS / "package.json").open() as lock:  # serialise concurrent sessions' installs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version() != AZURITE_VERSION:
            subprocess.run(
                ["npm", "ci", "--prefix", str(TOOLS), "--no-audit", "--no-fund"],
                check=True,
                capture_output=True,
                timeout=280,
            )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(process: subprocess.Popen[bytes], port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def azurite_port(tmp_path_factory) -> Iterator[int]:
    """The port of a running Azurite blob service, stopped at the end of the session."""
    _ensure_installed()
    workspace = tmp_path_factory.mktemp("azurite")
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = _free_port()
        process = subprocess.Popen(
            [
                "node",
                str(BLOB_MAIN),
                *("--blobHost", "127.0.0.1", "--blobPort", str(port)),
                *("--location", str(workspace)),
                *("--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if _wait_for_port(process, port):
            break
        process.kill()
        stderr = process.communicate()[1].decode(errors="replace")
    else:
        pytest.fail(f"Azurite did not start: {stderr[-2000:]}")
    yield port
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


@pytest.fixture
def blob_container() -> str:
    return f"artifacts-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def blob_store(azurite_port, blob_container) -> BlobArtifactStore:
    return BlobArtifactStore(blob_container, connection_string=connection_string(azurite_port))
