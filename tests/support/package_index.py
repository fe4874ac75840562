"""A private package index on 127.0.0.1: a directory of wheels over HTTP (pip ``--find-links``),
holding ``greetlib`` 1.0, a package that exists nowhere else, for checks that need ``setup:``."""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GREETLIB = {
    "greetlib/__init__.py": b"def greet(name):\n    return f'hello {name}'\n",
    "greetlib-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: greetlib\nVersion: 1.0\n",
    "greetlib-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
    b"Tag: py3-none-any\n",
}


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def write_wheel(directory: Path) -> Path:
    """``greetlib-1.0-py3-none-any.whl`` in ``directory`` (a valid wheel: RECORD included)."""
    path = directory / "greetlib-1.0-py3-none-any.whl"
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in GREETLIB.items()]
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in GREETLIB.items():
            wheel.writestr(name, data)
        wheel.writestr("greetlib-1.0.dist-info/RECORD", "\n".join([*record, "RECORD,,"]) + "\n")
    return path


@dataclass
class PackageIndex:
    url: str
    requested: list[str] = field(default_factory=list)


@contextmanager
def serving_package_index(root: Path) -> Iterator[PackageIndex]:
    root.mkdir(parents=True, exist_ok=True)
    write_wheel(root)
    index = PackageIndex("")

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            index.requested.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    index.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
