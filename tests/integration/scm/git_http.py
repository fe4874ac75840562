"""Git's smart HTTP protocol for the emulators, served by git itself (``git http-backend``).

Real forges serve the repository to ``git fetch`` at a URL of their own (GitHub
``/<owner>/<repo>.git``, GitLab ``/<group>/<project>.git``, Azure DevOps
``/<org>/<project>/_git/<repo>``) with HTTP basic auth carrying a token. This writes the forge's
objects into a bare repository (loose objects; once per new object) and hands the request to
``git http-backend`` as CGI, so the protocol (v0 or v2, partial-clone filters, fetching a commit
by id) is git's own. Requests without accepted credentials get the forges' 401 with a
``WWW-Authenticate: Basic`` challenge.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import Reply, Request


class GitHttp:
    def __init__(self, forge: Forge, prefix: str, authorize: Callable[[str], bool]) -> None:
        self.forge, self.prefix, self.authorize = forge, prefix, authorize
        self._dir = Path(tempfile.mkdtemp(prefix="forge-git-")) / "repo.git"
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def serve(self, request: Request) -> Reply | None:
        """The reply to a git request under ``prefix``; None for any other path. ``authorize``
        judges the request's Authorization header."""
        if not request.path.startswith(self.prefix + "/"):
            return None
        if not self.authorize(request.headers.get("authorization", "")):
            return Reply(401, b"Unauthorized", {"WWW-Authenticate": 'Basic realm="forge"'})
        self._sync()
        return self._backend(request, request.path.removeprefix(self.prefix))

    def _sync(self) -> None:
        with self._lock:
            if not self._dir.exists():
                subprocess.run(["git", "init", "-q", "--bare", str(self._dir)], check=True)
                # fetch by commit id and partial clones, as the forges allow; no delta search
                # (the emulator's packs need not be small, only quick to build)
                for key, value in (
                    ("uploadpack.allowFilter", "true"),
                    ("uploadpack.allowAnySHA1InWant", "true"),
                    ("pack.window", "0"),
                ):
                    subprocess.run(
                        ["git", "--git-dir", str(self._dir), "config", key, value], check=True
                    )
            for sha, (kind, content) in list(self.forge.objects.items()):
                if sha in self._written:
                    continue
                path = self._dir / "objects" / sha[:2] / sha[2:]
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(zlib.compress(b"%s %d\x00" % (kind, len(content)) + content))
                self._written.add(sha)
            for branch, sha in self.forge.branches.items():
                ref = self._dir / "refs" / "heads" / branch
                ref.parent.mkdir(parents=True, exist_ok=True)
                ref.write_text(sha + "\n")

    def _backend(self, request: Request, path_info: str) -> Reply:
        query = "&".join(f"{k}={v[0]}" for k, v in request.query.items())
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self._dir.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": "/repo.git" + path_info,
            "REQUEST_METHOD": request.method,
            "QUERY_STRING": query,
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            "HTTP_CONTENT_ENCODING": request.headers.get("content-encoding", ""),
            "REMOTE_USER": "forge",
            "REMOTE_ADDR": "127.0.0.1",
        }
        done = subprocess.run(
            ["git", "http-backend"], input=request.body, env=env, capture_output=True, check=False
        )
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name] = value.strip()
        return Reply(status, body, headers)


def basic_password(header: str) -> str | None:
    """The password of a basic Authorization header (where git sends the token)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    return base64.b64decode(encoded).decode().partition(":")[2]
