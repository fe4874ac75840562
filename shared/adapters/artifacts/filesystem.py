"""Local artifacts: files under ``<data_dir>/artifacts/<tenant>/<key>``.

Each artifact is written to a temporary file, fsynced, then hard-linked to its final name; the
link fails if the name exists, so an artifact is never overwritten or seen half-written. The
content type is not kept (nothing reads it back locally). Unlike blob names, a key cannot nest
under another key here (``a`` and ``a/b``): that ``put`` raises ``Conflict``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.adapters.synced_files import write_new
from shared.domain.errors import Conflict, NotFound
from shared.domain.tenant import validate_slug
from shared.ports.artifacts import ArtifactStore, validate_artifact_key


class FilesystemArtifactStore(ArtifactStore):
    """``ArtifactStore`` on a folder; URIs are ``file://`` URIs of the artifact files."""

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir).absolute() / "artifacts"

    def put(
        self, tenant: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        path = self._path(tenant, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise Conflict(f"artifact {key!r} would nest under another artifact") from exc
        temporary = path.parent / f".tmp-{secrets.token_hex(8)}"
        try:
            write_new(temporary, data, 0o666)
            try:
                os.link(temporary, path)
            except FileExistsError:
                if path.read_bytes() != data:
                    raise Conflict(f"artifact {key!r} already exists with other content") from None
        finally:
            temporary.unlink(missing_ok=True)
        return path.as_uri()

    def get(self, tenant: str, key: str) -> bytes:
        try:
            return self._path(tenant, key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(f"artifact {key!r} not found for tenant {tenant!r}") from exc

    def exists(self, tenant: str, key: str) -> bool:
        return self._path(tenant, key).is_file()

    def list(self, tenant: str, prefix: str = "") -> list[str]:
        base = self._root / validate_slug(tenant)
        keys = []
        for directory, subdirs, files in os.walk(base):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            relative = Path(directory).relative_to(base).as_posix()
            for name in files:
                if not name.startswith("."):
                    key = name if relative == "." else f"{relative}/{name}"
                    if key.startswith(prefix):
                        keys.append(key)
        return sorted(keys)

    def _path(self, tenant: str, key: str) -> Path:
        return self._root / validate_slug(tenant) / validate_artifact_key(key)
